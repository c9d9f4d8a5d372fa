"""Paid peer work: who works for which organisation, on what terms, on which shifts.

Every row carries its ``organisation_id``: an organisation's staff reach only their own
rows, through ``peerwork.access``. Money is integer minor units (cents), never float.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime


class WorkerStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


class ContractKind(StrEnum):
    EMPLOYMENT = "employment"
    PROJECT_CONTRACT = "project_contract"
    INTERNSHIP = "internship"
    REIMBURSED_VOLUNTEER = "reimbursed_volunteer"
    VOUCHERS = "vouchers"


class ShiftKind(StrEnum):
    OUTREACH = "outreach"
    DROP_IN = "drop_in"
    HELPLINE = "helpline"
    GROUP = "group"
    ACCOMPANIMENT = "accompaniment"


class FundingKind(StrEnum):
    GRANT = "grant"
    PROJECT = "project"


class RosterStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class AssignmentRole(StrEnum):
    PEER = "peer"
    PROFESSIONAL = "professional"


class SwapStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class TimesheetStatus(StrEnum):
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    REJECTED = "rejected"


class WorkSettings(SQLModel, table=True):
    """An organisation's peer-work settings: the time zone its weeks, nights and days use."""

    __tablename__ = "peerwork_settings"

    organisation_id: uuid.UUID = Field(
        foreign_key="organisation.id", primary_key=True, ondelete="CASCADE"
    )
    timezone: str = Field(default="Europe/Paris", max_length=64)


class PeerWorker(SQLModel, table=True):
    """A member working for an organisation. She appears by pseudonym unless she shares more."""

    __tablename__ = "peer_worker"
    __table_args__ = (UniqueConstraint("organisation_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    status: WorkerStatus = Field(
        default=WorkerStatus.INVITED, sa_type=EnumText(WorkerStatus, length=16)
    )
    shared_name: str | None = Field(default=None, max_length=80)
    supervisor_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    invited_by: uuid.UUID = Field(foreign_key="account.id")
    invited_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Funding(SQLModel, table=True):
    """A grant or project that pays for peer work: what contracts are charged to."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    kind: FundingKind = Field(sa_type=EnumText(FundingKind, length=16))
    name: str = Field(max_length=120)
    funder: str = Field(max_length=120)
    budget_minor: int
    currency: str = Field(max_length=3)
    starts_on: date
    ends_on: date
    created_at: datetime = Field(sa_type=UTCDateTime)


class Contract(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    worker_id: uuid.UUID = Field(foreign_key="peer_worker.id", index=True)
    kind: ContractKind = Field(sa_type=EnumText(ContractKind, length=24))
    starts_on: date
    ends_on: date | None = None
    # Per hour, in the currency's minor units: a wage, a reimbursement, or voucher value.
    rate_minor: int
    currency: str = Field(max_length=3)
    weekly_cap_minutes: int
    funding_id: uuid.UUID = Field(foreign_key="funding.id", index=True)
    created_by: uuid.UUID = Field(foreign_key="account.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Training(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=120)
    validity_days: int


class TrainingRecord(SQLModel, table=True):
    """A training a worker completed, valid from ``completed_on`` until ``expires_on``."""

    __tablename__ = "training_record"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    worker_id: uuid.UUID = Field(foreign_key="peer_worker.id", index=True)
    training_id: uuid.UUID = Field(foreign_key="training.id", index=True)
    completed_on: date
    expires_on: date
    recorded_by: uuid.UUID = Field(foreign_key="account.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class ShiftType(SQLModel, table=True):
    __tablename__ = "shift_type"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=80)
    kind: ShiftKind = Field(sa_type=EnumText(ShiftKind, length=24))
    needs_pairing: bool
    needs_debrief: bool
    zone: str | None = Field(default=None, max_length=80)
    # Night premium: minutes between night_start and night_end (local time, minutes after
    # midnight; the window may wrap past midnight) are paid night_premium_percent more.
    night_start_minute: int = Field(default=22 * 60)
    night_end_minute: int = Field(default=6 * 60)
    night_premium_percent: int = Field(default=0)


class ShiftTypeTraining(SQLModel, table=True):
    __tablename__ = "shift_type_training"

    shift_type_id: uuid.UUID = Field(
        foreign_key="shift_type.id", primary_key=True, ondelete="CASCADE"
    )
    training_id: uuid.UUID = Field(foreign_key="training.id", primary_key=True)


class Shift(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    shift_type_id: uuid.UUID = Field(foreign_key="shift_type.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    zone: str = Field(max_length=80)
    place: str = Field(default="", max_length=200)
    peers_needed: int
    professionals_needed: int
    created_at: datetime = Field(sa_type=UTCDateTime)


class AvailabilityRule(SQLModel, table=True):
    """A recurring weekly window, in the organisation's local time."""

    __tablename__ = "availability_rule"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    weekday: int
    start_minute: int
    end_minute: int
    preferred: bool = Field(default=False)


class AvailabilityException(SQLModel, table=True):
    """A date that replaces the weekly pattern: unavailable, or available in one window."""

    __tablename__ = "availability_exception"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    on: date
    available: bool
    start_minute: int = Field(default=0)
    end_minute: int = Field(default=0)


class SafetyExclusion(SQLModel, table=True):
    """A zone a worker must never be sent to. Seen by her and her organisation's coordinators."""

    __tablename__ = "safety_exclusion"
    __table_args__ = (UniqueConstraint("worker_id", "zone_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    worker_id: uuid.UUID = Field(foreign_key="peer_worker.id", index=True)
    zone: str = Field(max_length=80)
    zone_key: str = Field(max_length=160)
    added_by: uuid.UUID = Field(foreign_key="account.id")
    added_at: datetime = Field(sa_type=UTCDateTime)


class Roster(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    starts_on: date
    ends_on: date
    status: RosterStatus = Field(
        default=RosterStatus.DRAFT, sa_type=EnumText(RosterStatus, length=16)
    )
    solver_status: str = Field(default="", max_length=24)
    # The solver's answer: uncovered shifts with their reasons, figures, warnings (JSON).
    report: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_by: uuid.UUID = Field(foreign_key="account.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("roster_id", "shift_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    roster_id: uuid.UUID = Field(foreign_key="roster.id", index=True, ondelete="CASCADE")
    shift_id: uuid.UUID = Field(foreign_key="shift.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    role: AssignmentRole = Field(sa_type=EnumText(AssignmentRole, length=16))
    # The professional a peer is paired with on this shift (peers on pairing shifts only).
    partner_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    by_hand: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ShiftSwap(SQLModel, table=True):
    __tablename__ = "shift_swap"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    assignment_id: uuid.UUID = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    from_account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    to_account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    status: SwapStatus = Field(default=SwapStatus.PROPOSED, sa_type=EnumText(SwapStatus, length=16))
    created_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=500)


class Timesheet(SQLModel, table=True):
    """Hours actually worked on one assignment: confirmed by her, approved by a coordinator.

    The pay fields are computed by ``rules.compute_pay`` at approval from the contract in
    force, never entered; approved rows do not change.
    """

    __table_args__ = (UniqueConstraint("assignment_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    assignment_id: uuid.UUID = Field(foreign_key="assignment.id")
    shift_id: uuid.UUID = Field(foreign_key="shift.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    actual_start: datetime = Field(sa_type=UTCDateTime)
    actual_end: datetime = Field(sa_type=UTCDateTime)
    status: TimesheetStatus = Field(
        default=TimesheetStatus.CONFIRMED, index=True, sa_type=EnumText(TimesheetStatus, length=16)
    )
    confirmed_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)
    contract_id: uuid.UUID | None = Field(default=None, foreign_key="contract.id")
    funding_id: uuid.UUID | None = Field(default=None, foreign_key="funding.id")
    minutes: int = Field(default=0)
    night_minutes: int = Field(default=0)
    amount_minor: int = Field(default=0)
    currency: str = Field(default="", max_length=3)


class Debrief(SQLModel, table=True):
    """How a shift went for her. Content is read by her and her supervisor only."""

    __table_args__ = (UniqueConstraint("assignment_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    assignment_id: uuid.UUID = Field(foreign_key="assignment.id")
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    supervisor_id: uuid.UUID | None = Field(default=None, foreign_key="account.id", index=True)
    wellbeing: int
    incident: bool
    incident_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    wants_to_talk: bool
    concerning: bool
    submitted_at: datetime = Field(sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """A worker's secret calendar address; only its hash is stored. A new one revokes the old."""

    __tablename__ = "calendar_feed"

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Notice(SQLModel, table=True):
    """Something for one person to read in Tandem. Texts stay neutral: a phone may be checked."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(max_length=32)
    text: str = Field(max_length=200)
    subject: str = Field(default="", max_length=80)
    created_at: datetime = Field(sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
