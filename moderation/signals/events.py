"""Activity rules: patterns across many messages of one account."""

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from moderation.signals import rules as r

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """One private message from ``sender_id`` to ``recipient_id`` (for a room message, one
    event per reader the backend wants counted).

    ``asks_for_contact`` is what ``asks_for_contact(text)`` answered when the message was
    written, so the backend need not keep or re-read the text.
    """

    sender_id: UUID
    recipient_id: UUID
    recipient_is_newcomer: bool
    at: datetime
    asks_for_contact: bool = False


@dataclass(frozen=True, slots=True)
class ActivityThresholds:
    """When the activity rules fire. Defaults are a starting point for a community of a
    few hundred people; admins can tune them."""

    newcomer_window: timedelta = timedelta(hours=24)
    newcomer_recipients: int = 5
    new_account_age: timedelta = timedelta(days=14)
    contact_window: timedelta = timedelta(hours=24)
    contact_recipients: int = 3
    lookback: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ActivitySignal:
    """An activity rule that fired for ``account_id``: the distinct recipients inside the
    busiest window, in the order she first wrote to them, and that window's bounds."""

    rule_id: str
    severity: r.Severity
    account_id: UUID
    recipient_ids: tuple[UUID, ...]
    first_at: datetime
    last_at: datetime


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("activity rules take timezone-aware times")


def _busiest_window(
    events: Sequence[MessageEvent], window: timedelta
) -> tuple[tuple[UUID, ...], datetime, datetime] | None:
    """The window of at most ``window`` length with the most distinct recipients."""
    best: tuple[int, int, int] | None = None  # (distinct, left, right)
    counts: Counter[UUID] = Counter()
    left = 0
    for right, event in enumerate(events):
        counts[event.recipient_id] += 1
        while event.at - events[left].at > window:
            gone = events[left].recipient_id
            counts[gone] -= 1
            if not counts[gone]:
                del counts[gone]
            left += 1
        if best is None or len(counts) > best[0]:
            best = (len(counts), left, right)
    if best is None:
        return None
    _, left, right = best
    recipients = tuple(dict.fromkeys(e.recipient_id for e in events[left : right + 1]))
    return recipients, events[left].at, events[right].at


def screen_activity(
    events: Iterable[MessageEvent],
    *,
    clock: Clock,
    account_created_at: Mapping[UUID, datetime],
    thresholds: ActivityThresholds | None = None,
    disabled: Collection[str] | None = None,
) -> tuple[ActivitySignal, ...]:
    """Screen recent private messages for the activity rules.

    - ``activity.newcomer_fanout``: one account wrote to at least
      ``newcomer_recipients`` distinct newcomers within ``newcomer_window``.
    - ``activity.new_account_contact_sweep``: an account younger than
      ``new_account_age`` when writing asked at least ``contact_recipients`` distinct
      people for contact details within ``contact_window``.

    Only events between ``clock() - lookback`` and ``clock()`` count. Accounts missing
    from ``account_created_at`` are not treated as new. Returns at most one signal per
    account and rule, sorted by account id then rule.
    """
    limits = thresholds or ActivityThresholds()
    off = r.resolve_disabled(disabled)
    now = clock()
    _require_aware(now)
    since = now - limits.lookback
    by_sender: dict[UUID, list[MessageEvent]] = {}
    for event in events:
        _require_aware(event.at)
        if since <= event.at <= now and event.sender_id != event.recipient_id:
            by_sender.setdefault(event.sender_id, []).append(event)

    signals: list[ActivitySignal] = []
    for sender_id in sorted(by_sender):
        sent = sorted(by_sender[sender_id], key=lambda e: e.at)
        created_at = account_created_at.get(sender_id)
        checks = (
            (
                r.NEWCOMER_FANOUT,
                [e for e in sent if e.recipient_is_newcomer],
                limits.newcomer_window,
                limits.newcomer_recipients,
            ),
            (
                r.NEW_ACCOUNT_CONTACT_SWEEP,
                [
                    e
                    for e in sent
                    if e.asks_for_contact
                    and created_at is not None
                    and e.at - created_at < limits.new_account_age
                ],
                limits.contact_window,
                limits.contact_recipients,
            ),
        )
        for rule_id, chosen, window, threshold in checks:
            if rule_id in off:
                continue
            busiest = _busiest_window(chosen, window)
            if busiest is None or len(busiest[0]) < threshold:
                continue
            recipients, first_at, last_at = busiest
            rule = r.RULES_BY_ID[rule_id]
            signals.append(
                ActivitySignal(rule_id, rule.severity, sender_id, recipients, first_at, last_at)
            )
    return tuple(signals)
