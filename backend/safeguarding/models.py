import uuid
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime
from moderation.cases import AppealOutcome, CaseSource, CaseStatus, Decision
from moderation.reports import ReportKind, TargetKind


class SafetyCase(SQLModel, table=True):
    """One case per person (or room) under review; reports and signals attach to it."""

    __tablename__ = "safety_case"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    source: CaseSource = Field(sa_type=EnumText(CaseSource, length=16))
    target_account_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", index=True, ondelete="SET NULL"
    )
    target_room_id: uuid.UUID | None = Field(
        default=None, foreign_key="room.id", index=True, ondelete="SET NULL"
    )
    status: CaseStatus = Field(index=True, sa_type=EnumText(CaseStatus, length=16))
    urgent: bool = Field(default=False)
    severity: int
    assigned_to: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)
    decision: Decision | None = Field(default=None, sa_type=EnumText(Decision, length=16))
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    infiltration_confirmed: bool = Field(default=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SafetyReport(SQLModel, table=True):
    """A member's report. Who filed it is shown to safeguarding officers and to her alone."""

    __tablename__ = "safety_report"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="safety_case.id", index=True, ondelete="CASCADE")
    # NULL once the reporter erased her account: the report stays, from "an erased member".
    reporter_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", index=True, ondelete="SET NULL"
    )
    kind: ReportKind = Field(sa_type=EnumText(ReportKind, length=16))
    target_kind: TargetKind = Field(sa_type=EnumText(TargetKind, length=16))
    immediate_danger: bool = Field(default=False)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class CaseEvidence(SQLModel, table=True):
    """A message as it was when reported or flagged, kept even if it is deleted later."""

    __tablename__ = "case_evidence"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="safety_case.id", index=True, ondelete="CASCADE")
    report_id: uuid.UUID | None = Field(
        default=None, foreign_key="safety_report.id", ondelete="CASCADE"
    )
    room_id: uuid.UUID | None = Field(default=None)
    seq: int | None = Field(default=None)
    author_id: uuid.UUID | None = Field(default=None)
    author_pseudonym: str = Field(default="", max_length=64)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    # For a screening signal: which rule and the matched words.
    signal_rule: str | None = Field(default=None, max_length=64)
    signal_detail: str | None = Field(default=None, max_length=500)
    written_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    captured_at: datetime = Field(sa_type=UTCDateTime)


class CaseNote(SQLModel, table=True):
    __tablename__ = "case_note"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="safety_case.id", index=True, ondelete="CASCADE")
    author_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class CaseAppeal(SQLModel, table=True):
    __tablename__ = "case_appeal"
    __table_args__ = (UniqueConstraint("case_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="safety_case.id", ondelete="CASCADE")
    appellant_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    statement: str = Field(sa_column=Column(Text, nullable=False))
    filed_at: datetime = Field(sa_type=UTCDateTime)
    outcome: AppealOutcome | None = Field(default=None, sa_type=EnumText(AppealOutcome, length=16))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Restriction(SQLModel, table=True):
    """Effects applied to one account, from a case or on their own; lifted with a reason."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    case_id: uuid.UUID | None = Field(
        default=None, foreign_key="safety_case.id", ondelete="SET NULL"
    )
    effects: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    applied_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    applied_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifted_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    lift_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReviewMark(SQLModel, table=True):
    """An account put under review after a confirmed infiltration near it."""

    __tablename__ = "review_mark"
    __table_args__ = (UniqueConstraint("case_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="safety_case.id", index=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    distance: int
    marked_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    marked_at: datetime = Field(sa_type=UTCDateTime)
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignalRuleSetting(SQLModel, table=True):
    """An admin's choice for one screening rule; rules without a row keep their default."""

    __tablename__ = "signal_rule_setting"

    rule_id: str = Field(primary_key=True, max_length=64)
    enabled: bool
    changed_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    changed_at: datetime = Field(sa_type=UTCDateTime)
