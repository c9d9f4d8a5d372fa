"""Every table, imported once, so Alembic and SQLModel's metadata see the whole schema."""

from sqlmodel import SQLModel

from backend.auth.models import Account, AuthSession, RecoveryCode, RoleGrant
from backend.core.audit import AuditEntry
from backend.identity.models import SealedIdentity, UnsealRequest
from backend.membership.models import (
    Agreement,
    AgreementSignature,
    Application,
    ApplicationInterviewer,
    Ballot,
    Card,
    Criterion,
    InterviewAssessment,
    InterviewReport,
    Membership,
    MembershipRules,
    ParticipationConfirmation,
    Referral,
    Vote,
    VoteVoter,
    WorkingGroup,
    WorkingGroupMember,
)
from backend.mentoring.models import MentorProfile, Mentorship
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
    "Agreement",
    "AgreementSignature",
    "Application",
    "ApplicationInterviewer",
    "AuditEntry",
    "AuthSession",
    "Ballot",
    "Block",
    "Card",
    "Criterion",
    "FeedbackAnswer",
    "FeedbackQuestion",
    "FeedbackSubmission",
    "GroupSession",
    "InterviewAssessment",
    "InterviewReport",
    "Membership",
    "MembershipRules",
    "MentorProfile",
    "Mentorship",
    "MessageReport",
    "MessageRevision",
    "Organisation",
    "ParticipationConfirmation",
    "RecoveryCode",
    "Referral",
    "RoleGrant",
    "Room",
    "RoomMember",
    "RoomMessage",
    "SealedIdentity",
    "SessionAttendance",
    "SessionSeries",
    "UnsealRequest",
    "Vote",
    "VoteVoter",
    "WorkingGroup",
    "WorkingGroupMember",
    "WsTicket",
    "metadata",
]
