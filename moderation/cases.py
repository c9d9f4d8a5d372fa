"""Cases: one per person reported, conflict of interest, decisions and appeals."""

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import StrEnum

from moderation.restrictions import EVERYTHING, Effect


class CaseStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"


class Decision(StrEnum):
    NO_ACTION = "no_action"
    WARNING = "warning"
    RESTRICTION = "restriction"
    SUSPENSION = "suspension"
    EXPULSION = "expulsion"


class CaseSource(StrEnum):
    REPORT = "report"
    SIGNAL = "signal"
    DURESS = "duress"


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"


# Suspension and expulsion take every restriction; a "restriction" decision takes the ones
# the officer chose.
DECISION_EFFECTS: dict[Decision, frozenset[Effect]] = {
    Decision.NO_ACTION: frozenset(),
    Decision.WARNING: frozenset(),
    Decision.RESTRICTION: frozenset(),
    Decision.SUSPENSION: EVERYTHING,
    Decision.EXPULSION: EVERYTHING,
}

OPEN_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.APPEALED})


def effects_for(decision: Decision, chosen: frozenset[Effect]) -> frozenset[Effect]:
    if decision is Decision.RESTRICTION:
        if not chosen:
            raise ValueError("A restriction decision names at least one restriction.")
        return chosen
    return DECISION_EFFECTS[decision]


@dataclass(frozen=True)
class CaseParties:
    """Who a case concerns, and who is close to them through mentoring or referral."""

    targets: frozenset[Hashable]
    reporters: frozenset[Hashable]
    linked: frozenset[Hashable] = field(default_factory=frozenset)


def has_conflict(officer: Hashable, parties: CaseParties) -> bool:
    """An officer who is the target, a reporter, or linked to either does not handle it."""
    return officer in parties.targets or officer in parties.reporters or officer in parties.linked


def appeal_refusal(
    *,
    status: CaseStatus,
    decision: Decision | None,
    appellant: Hashable,
    targets: frozenset[Hashable],
    already_appealed: bool,
) -> str | None:
    """Why this appeal cannot be filed, or None. Only the person decided about appeals, once."""
    if appellant not in targets:
        return "Only the person the decision is about can appeal it."
    if status is not CaseStatus.DECIDED or decision is None:
        return "There is no decision to appeal yet."
    if decision is Decision.NO_ACTION:
        return "No action was taken, so there is nothing to appeal."
    if already_appealed:
        return "This decision was appealed already."
    return None


def appeal_decider_refusal(
    officer: Hashable, *, decided_by: Hashable, parties: CaseParties
) -> str | None:
    """Another officer, free of conflict, decides the appeal."""
    if officer == decided_by:
        return "Another officer decides the appeal of your decision."
    if has_conflict(officer, parties):
        return "You are too close to this case to decide its appeal."
    return None
