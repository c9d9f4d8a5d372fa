"""Every table, imported once, so Alembic and SQLModel's metadata see the whole schema."""

from sqlmodel import SQLModel

from backend.auth.models import Account, AuthSession, RecoveryCode, RoleGrant
from backend.core.audit import AuditEntry
from backend.identity.models import SealedIdentity, UnsealRequest
from backend.organisation.models import Organisation
from backend.room.models import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackSubmission,
    GroupSession,
    MessageReport,
    MessageRevision,
    Room,
    RoomMember,
    RoomMessage,
    SessionAttendance,
    SessionSeries,
    WsTicket,
)
from backend.safety.models import Block

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "AuditEntry",
    "AuthSession",
    "Block",
    "FeedbackAnswer",
    "FeedbackQuestion",
    "FeedbackSubmission",
    "GroupSession",
    "MessageReport",
    "MessageRevision",
    "Organisation",
    "RecoveryCode",
    "RoleGrant",
    "Room",
    "RoomMember",
    "RoomMessage",
    "SealedIdentity",
    "SessionAttendance",
    "SessionSeries",
    "UnsealRequest",
    "WsTicket",
    "metadata",
]
