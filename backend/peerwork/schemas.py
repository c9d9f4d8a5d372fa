import uuid
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from backend.core.schemas import Input, Output
from backend.peerwork.models import (
    AssignmentRole,
    ContractKind,
    FundingKind,
    ShiftKind,
    SwapStatus,
    TimesheetStatus,
    WorkerStatus,
)

Name = Field(min_length=1, max_length=120)
MAX_MINOR = 10**12  # far above any budget, far below any integer overflow


def _currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValueError("Use a three-letter ISO 4217 code, e.g. EUR.")
    return value


class TimezoneIn(Input):
    timezone: str = Field(min_length=1, max_length=64)


class TimezonePublic(Output):
    timezone: str


class InviteIn(Input):
    pseudonym: str = Field(min_length=1, max_length=64)


class AnswerInvitationIn(Input):
    # What she chooses to be called in the organisation's screens; her pseudonym otherwise.
    shared_name: str | None = Field(default=None, min_length=1, max_length=80)


class WorkerPublic(Output):
    id: uuid.UUID
    organisation_id: uuid.UUID
    account_id: uuid.UUID
    name: str
    status: WorkerStatus
    supervisor_id: uuid.UUID | None
    invited_at: datetime
    answered_at: datetime | None


class InvitationPublic(Output):
    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    status: WorkerStatus
    invited_at: datetime


class SupervisorIn(Input):
    account_id: uuid.UUID


class PersonPublic(Output):
    account_id: uuid.UUID
    name: str


class FundingIn(Input):
    kind: FundingKind = FundingKind.GRANT
    name: str = Name
    funder: str = Name
    budget_minor: int = Field(ge=0, le=MAX_MINOR)
    currency: str
    starts_on: date
    ends_on: date

    _currency = field_validator("currency")(_currency)


class FundingPublic(Output):
    id: uuid.UUID
    kind: FundingKind
    name: str
    funder: str
    budget_minor: int
    currency: str
    starts_on: date
    ends_on: date


class ContractIn(Input):
    kind: ContractKind
    starts_on: date
    ends_on: date | None = None
    # Per hour in minor units: the wage, the reimbursement, or the vouchers' value.
    rate_minor: int = Field(ge=0, le=1_000_000)
    currency: str
    weekly_cap_minutes: int = Field(gt=0, le=60 * 60)
    funding_id: uuid.UUID

    _currency = field_validator("currency")(_currency)


class ContractEndIn(Input):
    ends_on: date


class ContractPublic(Output):
    id: uuid.UUID
    worker_id: uuid.UUID
    kind: ContractKind
    starts_on: date
    ends_on: date | None
    rate_minor: int
    currency: str
    weekly_cap_minutes: int
    funding_id: uuid.UUID


class TrainingIn(Input):
    name: str = Name
    validity_days: int = Field(gt=0, le=3650)


class TrainingPublic(Output):
    id: uuid.UUID
    name: str
    validity_days: int


class TrainingRecordIn(Input):
    training_id: uuid.UUID
    completed_on: date


class TrainingRecordPublic(Output):
    id: uuid.UUID
    worker_id: uuid.UUID
    training_id: uuid.UUID
    completed_on: date
    expires_on: date


class ExpiryPublic(Output):
    worker_id: uuid.UUID
    name: str
    training_id: uuid.UUID
    training: str
    expires_on: date


class ExclusionsIn(Input):
    zones: list[str] = Field(max_length=50)

    @field_validator("zones")
    @classmethod
    def zones_are_short(cls, value: list[str]) -> list[str]:
        if any(len(z) > 80 for z in value):
            raise ValueError("A zone name is at most 80 characters.")
        return value


class ExclusionIn(Input):
    zone: str = Field(min_length=1, max_length=80)


class ExclusionsPublic(Output):
    worker_id: uuid.UUID
    zones: list[str]


class WindowSchema(Input):
    weekday: int = Field(ge=0, le=6)
    start_minute: int = Field(ge=0, lt=24 * 60)
    end_minute: int = Field(gt=0, le=48 * 60)
    preferred: bool = False


class ExceptionSchema(Input):
    on: date
    available: bool
    start_minute: int = Field(default=0, ge=0, lt=24 * 60)
    end_minute: int = Field(default=0, ge=0, le=48 * 60)


class AvailabilityIn(Input):
    weekly: list[WindowSchema] = Field(default_factory=list, max_length=100)
    exceptions: list[ExceptionSchema] = Field(default_factory=list, max_length=400)


class AvailabilityPublic(Output):
    account_id: uuid.UUID
    weekly: list[WindowSchema]
    exceptions: list[ExceptionSchema]


class ShiftTypeIn(Input):
    name: str = Field(min_length=1, max_length=80)
    kind: ShiftKind
    # Left out: yes for outreach, no otherwise.
    needs_pairing: bool | None = None
    # Left out: yes for outreach and helpline.
    needs_debrief: bool | None = None
    zone: str | None = Field(default=None, max_length=80)
    required_training_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    night_start_minute: int = Field(default=22 * 60, ge=0, lt=24 * 60)
    night_end_minute: int = Field(default=6 * 60, ge=0, lt=24 * 60)
    night_premium_percent: int = Field(default=0, ge=0, le=300)


class ShiftTypePublic(Output):
    id: uuid.UUID
    name: str
    kind: ShiftKind
    needs_pairing: bool
    needs_debrief: bool
    zone: str | None
    required_training_ids: list[uuid.UUID]
    night_start_minute: int
    night_end_minute: int
    night_premium_percent: int


class ShiftIn(Input):
    shift_type_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    zone: str | None = Field(default=None, max_length=80)
    place: str = Field(default="", max_length=200)
    peers_needed: int = Field(ge=0, le=50)
    professionals_needed: int | None = Field(default=None, ge=0, le=50)


class ShiftsIn(Input):
    shifts: list[ShiftIn] = Field(min_length=1, max_length=1000)


class ShiftPublic(Output):
    id: uuid.UUID
    shift_type_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    zone: str
    place: str
    peers_needed: int
    professionals_needed: int


class RosterIn(Input):
    starts_on: date
    ends_on: date
    time_limit_seconds: float | None = Field(default=None, gt=0, le=120)


class RegenerateIn(Input):
    time_limit_seconds: float | None = Field(default=None, gt=0, le=120)


class AssignmentIn(Input):
    shift_id: uuid.UUID
    account_id: uuid.UUID
    role: AssignmentRole


class AssignmentPublic(Output):
    id: uuid.UUID
    shift_id: uuid.UUID
    account_id: uuid.UUID
    name: str
    role: AssignmentRole
    partner_id: uuid.UUID | None
    by_hand: bool


class RosterPublic(Output):
    id: uuid.UUID
    organisation_id: uuid.UUID
    starts_on: date
    ends_on: date
    status: str
    solver_status: str
    version: int
    created_at: datetime
    published_at: datetime | None
    report: dict[str, Any]
    assignments: list[AssignmentPublic] = Field(default_factory=list)


class MyShiftPublic(Output):
    assignment_id: uuid.UUID
    organisation_id: uuid.UUID
    role: AssignmentRole
    starts_at: datetime
    ends_at: datetime
    shift_type: str
    zone: str
    place: str
    partner: str | None
    debrief_due: bool
    timesheet_status: TimesheetStatus | None


class CalendarTokenPublic(Output):
    url: str
    notice: str = (
        "Anyone with this address sees your shift times. Make a new one (the old one stops "
        "working) or delete it at any time."
    )


class SwapIn(Input):
    assignment_id: uuid.UUID
    to_account_id: uuid.UUID


class DecisionIn(Input):
    reason: str | None = Field(default=None, max_length=500)


class SwapPublic(Output):
    id: uuid.UUID
    organisation_id: uuid.UUID
    assignment_id: uuid.UUID
    from_account_id: uuid.UUID
    to_account_id: uuid.UUID
    status: SwapStatus
    created_at: datetime
    decided_at: datetime | None
    reason: str | None


class HoursIn(Input):
    actual_start: AwareDatetime
    actual_end: AwareDatetime


class TimesheetPublic(Output):
    id: uuid.UUID
    assignment_id: uuid.UUID
    shift_id: uuid.UUID
    account_id: uuid.UUID
    actual_start: datetime
    actual_end: datetime
    status: TimesheetStatus
    note: str | None
    minutes: int
    night_minutes: int
    amount_minor: int
    currency: str


class DebriefIn(Input):
    wellbeing: int = Field(ge=1, le=5)
    incident: bool
    incident_note: str | None = Field(default=None, max_length=4000)
    wants_to_talk: bool = False


class DebriefPublic(Output):
    id: uuid.UUID
    assignment_id: uuid.UUID
    account_id: uuid.UUID
    wellbeing: int
    incident: bool
    incident_note: str | None
    wants_to_talk: bool
    concerning: bool
    submitted_at: datetime


class PayrollIdentityIn(Input):
    reason: str = Field(min_length=20, max_length=2000)


class PayrollIdentityPublic(Output):
    worker_id: uuid.UUID
    legal_name: str | None
    date_of_birth: str | None
    address: str | None
    notice: str = "This reading is logged and shown to her."


class GrantLinePublic(Output):
    funding_id: uuid.UUID
    name: str
    funder: str
    currency: str
    budget_minor: int
    period_minutes: int
    period_cost_minor: int
    spent_minor: int
    remaining_minor: int
    planned_minor: int
    overspend_warning: bool


class NoticePublic(Output):
    id: uuid.UUID
    organisation_id: uuid.UUID
    kind: str
    text: str
    created_at: datetime
