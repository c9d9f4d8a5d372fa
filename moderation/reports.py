"""What a report is about, how urgent it is, and the order officers see cases in."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum


class ReportKind(StrEnum):
    INFILTRATION = "infiltration"
    RECRUITMENT = "recruitment"
    HARASSMENT = "harassment"
    DOXXING = "doxxing"
    SELF_HARM = "self_harm"
    SPAM = "spam"


class TargetKind(StrEnum):
    ACCOUNT = "account"
    MESSAGE = "message"
    ROOM = "room"


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class ReportStatus(StrEnum):
    """What the reporter follows: never the decision about someone else, only progress."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    CLOSED = "closed"


# Recruitment and identity exposure put someone at risk of being found or taken back;
# spam wastes time but harms nobody.
DEFAULT_SEVERITY: dict[ReportKind, Severity] = {
    ReportKind.INFILTRATION: Severity.HIGH,
    ReportKind.RECRUITMENT: Severity.HIGH,
    ReportKind.DOXXING: Severity.HIGH,
    ReportKind.SELF_HARM: Severity.HIGH,
    ReportKind.HARASSMENT: Severity.MEDIUM,
    ReportKind.SPAM: Severity.LOW,
}


def initial_severity(kind: ReportKind, *, immediate_danger: bool) -> Severity:
    return Severity.CRITICAL if immediate_danger else DEFAULT_SEVERITY[kind]


# Someone posing as a member to find, recruit or intimidate is inside the rooms now and
# reads who is there: a report of it cannot wait behind older work, box ticked or not.
URGENT_KINDS = frozenset({ReportKind.INFILTRATION})


def is_urgent(kind: ReportKind, *, immediate_danger: bool) -> bool:
    """Urgent cases go to the top of the queue whatever their age: immediate danger, and an
    infiltration whatever the reporter ticked."""
    return immediate_danger or kind in URGENT_KINDS


@dataclass(frozen=True)
class QueueEntry:
    case_id: object
    urgent: bool
    severity: Severity
    opened_at: datetime


def triage_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """Urgent first, then the most severe, then the oldest: nothing waits behind newer work."""
    return sorted(entries, key=lambda e: (not e.urgent, -int(e.severity), e.opened_at))
