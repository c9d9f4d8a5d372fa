"""Pure rules of paid peer work: the facts the roster is made of, and what a shift pays.

No I/O here. The constraints on who may take a shift are in ``roster/rules.py``.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60
# Availability windows may run past midnight into the next day (a night shift).
MAX_WINDOW_END = 2 * DAY_MINUTES
# Wages get the night premium; reimbursements and vouchers are not wages.
PREMIUM_KINDS = frozenset({"employment", "project_contract", "internship"})
CONCERNING_WELLBEING = 2  # on a 1 (bad) to 5 (good) scale
# A confirmed time may differ from the planned one, within reason.
TIMESHEET_SLACK = timedelta(hours=4)
TIMESHEET_MAX = timedelta(hours=16)


# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class Window:
    start_minute: int
    end_minute: int
    preferred: bool = False

    def contains(self, start: int, end: int) -> bool:
        return self.start_minute <= start and end <= self.end_minute


@dataclass(frozen=True)
class Availability:
    """Weekly windows (weekday 0 = Monday) and dates whose windows replace the week's."""

    weekly: dict[int, tuple[Window, ...]] = field(default_factory=dict)
    exceptions: dict[date, tuple[Window, ...]] = field(default_factory=dict)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def fits(self, day: date, start_minute: int, duration: int) -> Window | None:
        for window in self.windows_on(day):
            if window.contains(start_minute, start_minute + duration):
                return window
        return None


@dataclass(frozen=True)
class ContractTerms:
    id: uuid.UUID
    kind: str
    starts_on: date
    ends_on: date | None
    weekly_cap_minutes: int
    rate_minor: int = 0
    currency: str = "EUR"
    funding_id: uuid.UUID | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


@dataclass(frozen=True)
class TrainingDone:
    training_id: uuid.UUID
    completed_on: date
    expires_on: date  # exclusive: valid on days d with completed_on <= d < expires_on


@dataclass(frozen=True)
class ShiftFacts:
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    local_day: date
    local_start_minute: int
    zone_key: str
    required_trainings: frozenset[uuid.UUID]
    needs_pairing: bool
    peers_needed: int
    professionals_needed: int
    label: str = ""
    # Derived once (the solver reads them hundreds of thousands of times).
    minutes: int = field(init=False, compare=False)
    week: tuple[int, int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        iso = self.local_day.isocalendar()
        object.__setattr__(
            self, "minutes", int((self.ends_at - self.starts_at).total_seconds() // 60)
        )
        object.__setattr__(self, "week", (iso.year, iso.week))


@dataclass(frozen=True)
class PeerFacts:
    account_id: uuid.UUID
    contracts: tuple[ContractTerms, ...]
    trainings: tuple[TrainingDone, ...]
    availability: Availability
    excluded_zones: frozenset[str]
    name: str = ""

    def contract_on(self, day: date) -> ContractTerms | None:
        return next((c for c in self.contracts if c.covers(day)), None)


@dataclass(frozen=True)
class ProfessionalFacts:
    account_id: uuid.UUID
    availability: Availability
    name: str = ""


def zone_key(zone: str) -> str:
    return " ".join(zone.casefold().split())


def shift_facts(
    *,
    id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    zone: str,
    required_trainings: Iterable[uuid.UUID],
    needs_pairing: bool,
    peers_needed: int,
    professionals_needed: int,
    tz: ZoneInfo,
    label: str = "",
) -> ShiftFacts:
    local = starts_at.astimezone(tz)
    return ShiftFacts(
        id=id,
        starts_at=starts_at,
        ends_at=ends_at,
        local_day=local.date(),
        local_start_minute=local.hour * 60 + local.minute,
        zone_key=zone_key(zone),
        required_trainings=frozenset(required_trainings),
        needs_pairing=needs_pairing,
        peers_needed=peers_needed,
        professionals_needed=professionals_needed,
        label=label,
    )


# ---------------------------------------------------------------- pay


def minutes_of(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def night_minutes(
    start: datetime, end: datetime, *, night_start: int, night_end: int, tz: ZoneInfo
) -> int:
    """Minutes of [start, end) inside the local night window, DST-exact.

    The window runs from ``night_start`` to ``night_end`` minutes after local midnight and
    wraps past midnight when ``night_end <= night_start`` (22:00-06:00).
    """
    if night_start == night_end:
        return 0
    total = 0
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    day = first
    while day <= last:
        window_start = _local(day, night_start, tz)
        end_day = day if night_end > night_start else day + timedelta(days=1)
        window_end = _local(end_day, night_end, tz)
        overlap = min(end, window_end) - max(start, window_start)
        if overlap > timedelta(0):
            total += minutes_of(overlap)
        day += timedelta(days=1)
    return total


def _local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    extra, minute = divmod(minute, DAY_MINUTES)
    naive = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60))
    return naive.replace(tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Pay:
    minutes: int
    night_minutes: int
    amount_minor: int


def compute_pay(
    *, kind: str, rate_minor: int, minutes: int, night: int, premium_percent: int
) -> Pay:
    """rate x hours, plus the night premium on wages; rounded once, half up, to a minor unit.

    Vouchers: ``rate_minor`` is the voucher value of one hour, the amount is voucher value.
    """
    if minutes < 0 or not 0 <= night <= minutes:
        raise ValueError("night minutes must lie within the minutes worked")
    amount = Decimal(rate_minor) * minutes / 60
    if kind in PREMIUM_KINDS and premium_percent:
        amount += Decimal(rate_minor) * night * premium_percent / (60 * 100)
    return Pay(minutes, night, int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def planned_cost(terms: ContractTerms, shift: ShiftFacts, night: int, premium_percent: int) -> int:
    return compute_pay(
        kind=terms.kind,
        rate_minor=terms.rate_minor,
        minutes=shift.minutes,
        night=night,
        premium_percent=premium_percent,
    ).amount_minor


# ---------------------------------------------------------------- debriefs and trainings


def is_concerning(*, wellbeing: int, incident: bool, wants_to_talk: bool) -> bool:
    return wellbeing <= CONCERNING_WELLBEING or incident or wants_to_talk


def expires_on(completed_on: date, validity_days: int) -> date:
    return completed_on + timedelta(days=validity_days)


def expires_soon(expiry: date, today: date, within_days: int) -> bool:
    return today <= expiry < today + timedelta(days=within_days)
