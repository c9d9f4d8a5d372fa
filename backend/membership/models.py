import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime


class MemberStatus(StrEnum):
    NEWCOMER = "newcomer"
    MEMBER = "member"
    CANDIDATE = "candidate"
    ACTIVE = "active"
    NON_ACTIVE = "non_active"
    SUSPENDED = "suspended"
    EXPELLED = "expelled"
    # She erased her account: what is left of it no longer says who she was.
    ERASED = "erased"


class NextStep(StrEnum):
    """What a newcomer still has to do before she is a member, in the order she meets it."""

    SIGN_RULES = "sign_rules"
    TAKE_PART = "take_part"
    BE_VOUCHED = "be_vouched"


class Membership(SQLModel, table=True):
    """Where a person stands on the membership path. One row per account."""

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    status: MemberStatus = Field(
        default=MemberStatus.NEWCOMER, index=True, sa_type=EnumText(MemberStatus, length=16)
    )
    # Self-registered people start unvouched: nobody in the community knows them yet.
    vouched: bool = Field(default=False)
    # Who vouched for a self-registered newcomer, and when (a referral records its own).
    vouched_by: uuid.UUID | None = Field(default=None, foreign_key="account.id", index=True)
    vouched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referral.id")
    languages: str = Field(default="", max_length=64)
    city: str | None = Field(default=None, max_length=80)
    region: str | None = Field(default=None, max_length=80)
    status_changed_at: datetime = Field(sa_type=UTCDateTime)
    member_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_participation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Referral(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    referred_by: uuid.UUID = Field(foreign_key="account.id", index=True)
    vouched_by: uuid.UUID = Field(foreign_key="account.id", index=True)
    # The private note is sealed like an identity: a data key wrapped by the master key.
    note_key_id: str | None = Field(default=None, max_length=40)
    note_wrapped_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    note_nonce: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    note_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    redeemed_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    redeemed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AgreementKind(StrEnum):
    COMMUNITY_RULES = "community_rules"
    ACTIVE_MEMBER_RULES = "active_member_rules"


class Agreement(SQLModel, table=True):
    """One version of one agreement in one language. Versions are never edited."""

    __table_args__ = (UniqueConstraint("kind", "version", "language"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: AgreementKind = Field(index=True, sa_type=EnumText(AgreementKind, length=32))
    version: int
    language: str = Field(max_length=8)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime = Field(sa_type=UTCDateTime)
    published_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")


class AgreementSignature(SQLModel, table=True):
    __tablename__ = "agreement_signature"
    __table_args__ = (UniqueConstraint("account_id", "kind", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    kind: AgreementKind = Field(sa_type=EnumText(AgreementKind, length=32))
    version: int
    language: str = Field(max_length=8)
    signed_at: datetime = Field(sa_type=UTCDateTime)


class ParticipationConfirmation(SQLModel, table=True):
    """A facilitator confirming someone took part (until rooms record attendance)."""

    __tablename__ = "participation_confirmation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    confirmed_by: uuid.UUID = Field(foreign_key="account.id")
    note: str = Field(default="", max_length=500)
    confirmed_at: datetime = Field(sa_type=UTCDateTime)


class MembershipRules(SQLModel, table=True):
    """The community's own settings for the path, edited by admins. One row (id = 1)."""

    __tablename__ = "membership_rules"

    id: int = Field(default=1, primary_key=True)
    participation_required: int = Field(default=1)
    quorum_percent: int = Field(default=50)
    threshold_percent: int = Field(default=67)
    min_ballots_for_tally: int = Field(default=5)
    min_active_days_to_vote: int = Field(default=30)
    vote_days: int = Field(default=7)
    referrals_per_period: int = Field(default=3)
    referral_period_days: int = Field(default=30)
    inactive_after_days: int = Field(default=180)
    card_valid_days: int = Field(default=365)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Criterion(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(max_length=120)
    description: str = Field(sa_column=Column(Text, nullable=False))
    position: int = Field(default=0)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApplicationStatus(StrEnum):
    INTERVIEWING = "interviewing"
    VOTING = "voting"
    APPROVED = "approved"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    WITHDRAWN = "withdrawn"


class Application(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    applicant_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    status: ApplicationStatus = Field(index=True, sa_type=EnumText(ApplicationStatus, length=16))
    motivation: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Working groups she would like to join if approved (ids, comma-separated).
    working_groups: str = Field(default="", max_length=400)
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    votes_held: int = Field(default=0)


class ApplicationInterviewer(SQLModel, table=True):
    __tablename__ = "application_interviewer"
    __table_args__ = (UniqueConstraint("application_id", "interviewer_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    interviewer_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    assigned_by: uuid.UUID = Field(foreign_key="account.id")
    assigned_at: datetime = Field(sa_type=UTCDateTime)


class InterviewReport(SQLModel, table=True):
    """Seen only by Roots and safeguarding."""

    __tablename__ = "interview_report"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="application.id", unique=True, ondelete="CASCADE")
    written_by: uuid.UUID = Field(foreign_key="account.id")
    summary: str = Field(sa_column=Column(Text, nullable=False))
    written_at: datetime = Field(sa_type=UTCDateTime)


class InterviewAssessment(SQLModel, table=True):
    __tablename__ = "interview_assessment"
    __table_args__ = (UniqueConstraint("report_id", "criterion_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    report_id: uuid.UUID = Field(foreign_key="interview_report.id", index=True, ondelete="CASCADE")
    criterion_id: uuid.UUID = Field(foreign_key="criterion.id")
    assessment: str = Field(max_length=16)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))


class VoteOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


class Vote(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    opened_by: uuid.UUID = Field(foreign_key="account.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    deadline: datetime = Field(sa_type=UTCDateTime)
    # The rules in force when the vote opened; later edits do not change a running vote.
    quorum_percent: int
    threshold_percent: int
    min_ballots_for_tally: int
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: VoteOutcome | None = Field(default=None, sa_type=EnumText(VoteOutcome, length=16))
    yes_count: int | None = None
    no_count: int | None = None
    abstain_count: int | None = None
    eligible_count: int | None = None
    recused_count: int | None = None


class VoteVoter(SQLModel, table=True):
    """The voters frozen when the vote opened."""

    __tablename__ = "vote_voter"
    __table_args__ = (UniqueConstraint("vote_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    vote_id: uuid.UUID = Field(foreign_key="vote.id", index=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    recused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recusal_reason: str | None = Field(default=None, max_length=500)


class Ballot(SQLModel, table=True):
    """One voter's ballot. Never shown to anyone; only counted.

    ``voter_id`` is None for the ballot of a voter who erased her account while the vote
    was open: it still counts, and belongs to nobody. NULLs are distinct in the unique
    constraint, so one ballot per real voter still holds.
    """

    __table_args__ = (UniqueConstraint("vote_id", "voter_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    vote_id: uuid.UUID = Field(foreign_key="vote.id", index=True, ondelete="CASCADE")
    voter_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    choice: str = Field(max_length=8)
    notes: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    cast_at: datetime = Field(sa_type=UTCDateTime)


class CardStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Card(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    status: CardStatus = Field(default=CardStatus.VALID, sa_type=EnumText(CardStatus, length=16))
    key_id: str = Field(max_length=40)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=300)


class WorkingGroup(SQLModel, table=True):
    __tablename__ = "working_group"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=120, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_by: uuid.UUID = Field(foreign_key="account.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    room_id: uuid.UUID | None = Field(default=None, foreign_key="room.id")


class WorkingGroupMember(SQLModel, table=True):
    __tablename__ = "working_group_member"
    __table_args__ = (UniqueConstraint("group_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    group_id: uuid.UUID = Field(foreign_key="working_group.id", index=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    joined_at: datetime = Field(sa_type=UTCDateTime)
