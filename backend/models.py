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
    "InterviewAssessment",
    "InterviewReport",
    "Membership",
    "MembershipRules",
    "MentorProfile",
    "Mentorship",
    "Organisation",
    "ParticipationConfirmation",
    "RecoveryCode",
    "Referral",
    "RoleGrant",
    "SealedIdentity",
    "UnsealRequest",
    "Vote",
    "VoteVoter",
    "WorkingGroup",
    "WorkingGroupMember",
    "metadata",
]
