import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from backend.core.schemas import Input, Output
from moderation.cases import AppealOutcome, Decision
from moderation.reports import ReportKind, ReportStatus, TargetKind
from moderation.restrictions import SETTABLE, Effect
from moderation.trust import EdgeKind

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("Give the time with its time zone, e.g. 2026-03-01T18:00:00+01:00.")
    return value


Until = Annotated[datetime | None, AfterValidator(_aware)]

# Plain words for the person restricted: what changes for her.
EFFECT_MEANING: dict[Effect, str] = {
    Effect.READ_ONLY: "You can read your rooms but not write in them for now.",
    Effect.HIDDEN: "Other members do not see you in room member lists for now.",
    Effect.DIRECT_MESSAGES_FROZEN: "Private conversations are paused for now.",
    Effect.REMOVED_FROM_ROOMS: "You cannot open your rooms for now.",
    Effect.NO_TRUST_ACTIONS: "You cannot refer, vouch, vote, interview or mentor for now.",
    Effect.CARD_REVOKED: "Your active-member card was revoked.",
    Effect.DURESS: "",
}


class ReportTargetIn(Input):
    kind: TargetKind
    account_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    seq: int | None = Field(default=None, ge=1)


class ReportIn(Input):
    kind: ReportKind
    target: ReportTargetIn
    description: Text = ""
    immediate_danger: bool = False
    evidence_seqs: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, max_length=20)


class MyReportOut(Output):
    """What the reporter follows: her report and its progress, nothing about the outcome."""

    id: uuid.UUID
    kind: ReportKind
    target_kind: TargetKind
    created_at: datetime
    status: ReportStatus


class QueueItemOut(Output):
    case_id: uuid.UUID
    source: str
    status: str
    urgent: bool
    severity: int
    opened_at: datetime
    target_account_id: uuid.UUID | None
    target_pseudonym: str | None
    target_room_id: uuid.UUID | None
    report_count: int
    kinds: list[str]
    assigned_to: uuid.UUID | None
    assigned_pseudonym: str | None


class ReportOut(Output):
    id: uuid.UUID
    kind: str
    target_kind: str
    immediate_danger: bool
    description: str
    created_at: datetime
    reporter_id: uuid.UUID | None
    reporter_pseudonym: str


class EvidenceOut(Output):
    id: uuid.UUID
    report_id: uuid.UUID | None
    room_id: uuid.UUID | None
    seq: int | None
    author_id: uuid.UUID | None
    author_pseudonym: str
    body: str
    signal_rule: str | None
    signal_detail: str | None
    written_at: datetime | None
    captured_at: datetime


class NoteOut(Output):
    id: uuid.UUID
    author_pseudonym: str
    body: str
    created_at: datetime


class RestrictionOut(Output):
    id: uuid.UUID
    account_id: uuid.UUID
    case_id: uuid.UUID | None
    effects: list[Effect]
    reason: str
    applied_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None
    lift_reason: str | None


class AppealOut(Output):
    statement: str
    filed_at: datetime
    outcome: AppealOutcome | None
    reason: str | None
    decided_at: datetime | None


class CaseOut(Output):
    id: uuid.UUID
    source: str
    status: str
    urgent: bool
    severity: int
    opened_at: datetime
    target_account_id: uuid.UUID | None
    target_pseudonym: str | None
    target_room_id: uuid.UUID | None
    assigned_to: uuid.UUID | None
    decision: Decision | None
    decision_reason: str | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    infiltration_confirmed: bool
    reports: list[ReportOut]
    evidence: list[EvidenceOut]
    notes: list[NoteOut]
    restrictions: list[RestrictionOut]
    appeal: AppealOut | None


class AssignIn(Input):
    officer_id: uuid.UUID


class SeverityIn(Input):
    severity: int = Field(ge=1, le=4)
    urgent: bool


class NoteIn(Input):
    body: Reason


def _settable(effects: list[Effect]) -> list[Effect]:
    if any(e not in SETTABLE for e in effects):
        raise ValueError("That restriction cannot be set by hand.")
    return effects


class RestrictIn(Input):
    effects: Annotated[list[Effect], AfterValidator(_settable)] = Field(min_length=1)
    reason: Reason
    expires_at: Until = None


class DecisionIn(Input):
    decision: Decision
    reason: Reason
    effects: Annotated[list[Effect], AfterValidator(_settable)] = Field(default_factory=list)
    expires_at: Until = None
    infiltration_confirmed: bool = False


class AppealIn(Input):
    statement: Reason


class AppealDecisionIn(Input):
    outcome: AppealOutcome
    reason: Reason


class LiftIn(Input):
    reason: Reason


class MyRestrictionOut(Output):
    effects: list[Effect]
    meaning: list[str]
    reason: str
    since: datetime
    until: datetime | None


class DecisionAboutMeOut(Output):
    case_id: uuid.UUID
    decision: Decision
    reason: str
    decided_at: datetime
    appealed: bool
    appeal_outcome: AppealOutcome | None
    can_appeal: bool


class TrustNodeOut(Output):
    account_id: uuid.UUID
    pseudonym: str
    status: str
    distance: int


class TrustEdgeOut(Output):
    source: uuid.UUID
    target: uuid.UUID
    kind: EdgeKind


class TrustGraphOut(Output):
    center: uuid.UUID
    nodes: list[TrustNodeOut]
    edges: list[TrustEdgeOut]


class CascadePlanOut(Output):
    review: list[TrustNodeOut]
    cards_to_revoke_for: list[uuid.UUID]
    open_votes_to_recount: list[uuid.UUID]
    # Seen from the same place as her: for the officer to look at, untouched by the cascade.
    same_place: list[TrustNodeOut] = Field(default_factory=list)


class CascadeResultOut(Output):
    marked_for_review: list[uuid.UUID]
    cards_revoked_for: list[uuid.UUID]
    votes_recounted: list[uuid.UUID]


class ReviewMarkOut(Output):
    case_id: uuid.UUID
    account_id: uuid.UUID
    pseudonym: str
    distance: int
    marked_at: datetime


class DuressIn(Input):
    current_password: str = Field(min_length=1, max_length=1024)
    duress_password: str | None = Field(default=None, max_length=1024)

    @field_validator("duress_password")
    @classmethod
    def not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("Type a duress password, or send null to remove it.")
        return value


class DuressOut(Output):
    is_set: bool
    explanation: str = (
        "If someone forces you to sign in, use your duress password instead of your "
        "password. Tandem then shows an empty account with no rooms and no contacts, and "
        "quietly tells the safeguarding officers. Nothing on screen shows that it happened."
    )


class SignalRuleOut(Output):
    id: str
    kind: str
    severity: str
    description: str
    enabled: bool
    default_enabled: bool


class SignalRuleIn(Input):
    enabled: bool


class ReleasedOut(Output):
    released: bool
