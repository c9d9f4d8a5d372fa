"""Peer-work errors with codes a program can rely on; their messages are what people read."""

from collections.abc import Sequence

from backend.core.errors import Conflict
from backend.peerwork.roster.rules import REASON_TEXT, Reason


class RosterOverlaps(Conflict):
    """Rosters of one organisation never cover the same day."""

    code = "roster_overlaps"


class ConstraintViolated(Conflict):
    """A hand edit or a swap that would break a hard constraint of the roster."""

    code = "constraint_violated"

    def __init__(self, reasons: Sequence[Reason]) -> None:
        super().__init__(
            "This would break a rule: " + "; ".join(REASON_TEXT[r] for r in reasons) + ".",
            fields={"reasons": ",".join(reasons)},
        )
