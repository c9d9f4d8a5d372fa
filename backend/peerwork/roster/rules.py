"""Pure roster constraints: who may take a shift, given the facts of ``peerwork.rules``.

No I/O here. The solver, hand edits and swaps all ask the same functions, so a constraint
means the same thing wherever it is checked.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from enum import StrEnum

from backend.peerwork.rules import (
    Availability,
    PeerFacts,
    ProfessionalFacts,
    ShiftFacts,
    TrainingDone,
)

MIN_REST = timedelta(hours=11)


class Reason(StrEnum):
    """Why a person cannot take a shift. Every hard constraint has exactly one code."""

    OUTSIDE_CONTRACT = "outside_contract"
    TRAINING_MISSING = "training_missing"
    TRAINING_EXPIRED = "training_expired"
    UNAVAILABLE = "unavailable"
    ZONE_EXCLUDED = "zone_excluded"
    REST = "rest"
    WEEKLY_CAP = "weekly_cap"
    NO_PROFESSIONAL = "no_professional"
    SHIFT_FULL = "shift_full"
    ALREADY_ON_SHIFT = "already_on_shift"
    NOT_IN_TEAM = "not_in_team"


REASON_TEXT: dict[Reason, str] = {
    Reason.OUTSIDE_CONTRACT: "no contract in force on the shift's date",
    Reason.TRAINING_MISSING: "a required training was never completed",
    Reason.TRAINING_EXPIRED: "a required training is not valid on the shift's date",
    Reason.UNAVAILABLE: "not available at that time",
    Reason.ZONE_EXCLUDED: "the zone is on her safety exclusions",
    Reason.REST: "less than 11 hours of rest from another shift (or an overlap)",
    Reason.WEEKLY_CAP: "it would exceed the contract's weekly hour cap",
    Reason.NO_PROFESSIONAL: "no professional is free to be paired with another peer",
    Reason.SHIFT_FULL: "the shift already has everyone it needs in this role",
    Reason.ALREADY_ON_SHIFT: "already on this shift",
    Reason.NOT_IN_TEAM: "not a peer worker or professional of this organisation",
}


def training_reason(
    trainings: Sequence[TrainingDone], required: uuid.UUID, day: date
) -> Reason | None:
    done = [t for t in trainings if t.training_id == required]
    if not done:
        return Reason.TRAINING_MISSING
    if any(t.completed_on <= day < t.expires_on for t in done):
        return None
    return Reason.TRAINING_EXPIRED


def static_peer_reasons(peer: PeerFacts, shift: ShiftFacts) -> list[Reason]:
    """What forbids this peer this shift whatever else she does (empty: she may take it)."""
    reasons: list[Reason] = []
    if peer.contract_on(shift.local_day) is None:
        reasons.append(Reason.OUTSIDE_CONTRACT)
    for required in sorted(shift.required_trainings):
        reason = training_reason(peer.trainings, required, shift.local_day)
        if reason is not None and reason not in reasons:
            reasons.append(reason)
    if peer.availability.fits(shift.local_day, shift.local_start_minute, shift.minutes) is None:
        reasons.append(Reason.UNAVAILABLE)
    if shift.zone_key in peer.excluded_zones:
        reasons.append(Reason.ZONE_EXCLUDED)
    return reasons


def static_professional_reasons(pro: ProfessionalFacts, shift: ShiftFacts) -> list[Reason]:
    if pro.availability.fits(shift.local_day, shift.local_start_minute, shift.minutes) is None:
        return [Reason.UNAVAILABLE]
    return []


def is_preferred(availability: Availability, shift: ShiftFacts) -> bool:
    window = availability.fits(shift.local_day, shift.local_start_minute, shift.minutes)
    return window is not None and window.preferred


def too_close(a: ShiftFacts, b: ShiftFacts, rest: timedelta = MIN_REST) -> bool:
    """Overlapping, or less than ``rest`` between the end of one and the start of the other."""
    return a.starts_at < b.ends_at + rest and b.starts_at < a.ends_at + rest


def weekly_cap_for(peer: PeerFacts, week: tuple[int, int], days: Iterable[date]) -> int | None:
    """The tightest cap among contracts in force on the given days of that ISO week."""
    caps = [
        c.weekly_cap_minutes
        for day in days
        if (day.isocalendar().year, day.isocalendar().week) == week
        for c in peer.contracts
        if c.covers(day)
    ]
    return min(caps) if caps else None


def interaction_reasons(
    peer: PeerFacts, shift: ShiftFacts, others: Sequence[ShiftFacts]
) -> list[Reason]:
    """What forbids adding this shift to the ones she already has."""
    reasons: list[Reason] = []
    if any(o.id == shift.id for o in others):
        return [Reason.ALREADY_ON_SHIFT]
    if any(too_close(shift, o) for o in others):
        reasons.append(Reason.REST)
    same_week = [o for o in others if o.week == shift.week]
    cap = weekly_cap_for(peer, shift.week, [shift.local_day, *(o.local_day for o in same_week)])
    if cap is not None and shift.minutes + sum(o.minutes for o in same_week) > cap:
        reasons.append(Reason.WEEKLY_CAP)
    return reasons


def professional_interaction_reasons(
    shift: ShiftFacts, others: Sequence[ShiftFacts]
) -> list[Reason]:
    if any(o.id == shift.id for o in others):
        return [Reason.ALREADY_ON_SHIFT]
    return [Reason.REST] if any(too_close(shift, o) for o in others) else []


def pairing_holds(shift: ShiftFacts, peers: int, professionals: int) -> bool:
    """Every peer on a pairing shift has a professional of her own."""
    return not shift.needs_pairing or peers <= professionals
