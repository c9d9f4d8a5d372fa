"""Screening signals on messages as they are stored: a flag for a person, never a verdict.

The one automatic effect: a phone number written to a newcomer is withheld until a
safeguarding officer releases it (a rule admins can switch off).
"""

import time
import uuid
from datetime import timedelta

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.membership.models import Membership, MemberStatus
from backend.room import messages as room_messages
from backend.room.models import MemberState, Room, RoomKind, RoomMember, RoomMessage
from backend.room.rules import PRIVATE_KINDS
from backend.room.screening import Draft, Screened
from backend.safeguarding import access as case_access
from backend.safeguarding import reports as report_service
from backend.safeguarding.models import CaseEvidence, SignalRuleSetting
from moderation import signals
from moderation.cases import CaseSource
from moderation.reports import Severity

WITHHOLD_RULE = "withhold.phone_number_to_newcomers"
SEVERITY: dict[signals.Severity, Severity] = {
    signals.Severity.LOW: Severity.LOW,
    signals.Severity.MEDIUM: Severity.MEDIUM,
    signals.Severity.HIGH: Severity.HIGH,
}
NEWCOMER_STATUSES = (MemberStatus.NEWCOMER,)


# Every stored message needs the switched-off rules, and admins change them rarely: each
# process keeps them for a few seconds per database. The process where an admin switches
# a rule forgets its copy at once; the others follow within RULES_KEPT_SECONDS.
RULES_KEPT_SECONDS = 5.0
_kept_rules: dict[str, tuple[float, frozenset[str]]] = {}


def _database_of(session: AsyncSession) -> str:
    return str(session.sync_session.get_bind().engine.url)


async def disabled_rules(session: AsyncSession) -> frozenset[str]:
    database = _database_of(session)
    kept = _kept_rules.get(database)
    now = time.monotonic()
    if kept is not None and now - kept[0] < RULES_KEPT_SECONDS:
        return kept[1]
    rows = (await session.exec(select(SignalRuleSetting))).all()
    known = {rule.id for rule in signals.RULES}
    disabled = signals.disabled_rule_ids({r.rule_id: r.enabled for r in rows if r.rule_id in known})
    _kept_rules[database] = (now, disabled)
    return disabled


async def set_rule(
    session: AsyncSession, *, admin_id: uuid.UUID, rule_id: str, enabled: bool
) -> None:
    if rule_id not in signals.RULES_BY_ID:
        raise NotFound()
    row = await session.get(SignalRuleSetting, rule_id) or SignalRuleSetting(
        rule_id=rule_id, enabled=enabled, changed_at=utc_now()
    )
    row.enabled = enabled
    row.changed_by = admin_id
    row.changed_at = utc_now()
    session.add(row)
    await session.flush()
    _kept_rules.pop(_database_of(session), None)
    await audit.record(
        session,
        actor_id=admin_id,
        action="safety.signal_rule_changed",
        subject=f"rule:{rule_id}",
        details={"enabled": enabled},
    )


async def _has_newcomer_reader(
    session: AsyncSession, room_id: uuid.UUID, author_id: uuid.UUID
) -> bool:
    """Whether someone in the room, other than the author, is not a member of the community
    yet (self-registered people have no membership row until something needs one)."""
    statement = (
        select(RoomMember.id)
        .join(
            Membership,
            col(Membership.account_id) == col(RoomMember.account_id),
            isouter=True,
        )
        .where(RoomMember.room_id == room_id)
        .where(RoomMember.account_id != author_id)
        .where(RoomMember.state == MemberState.ACTIVE)
        .where(
            or_(
                col(Membership.status).is_(None),
                col(Membership.status).in_(NEWCOMER_STATUSES),
            )
        )
        .limit(1)
    )
    return (await session.exec(statement)).first() is not None


async def _flag(
    session: AsyncSession,
    draft: Draft,
    seq: int,
    *,
    severity: Severity,
    evidence: list[tuple[str, str]],
    body: str,
) -> None:
    case = await report_service.open_or_join_case(
        session,
        source=CaseSource.SIGNAL,
        account_id=draft.author_id,
        room_id=None,
        severity=severity,
        urgent=False,
    )
    names = await room_messages.pseudonyms(session, [draft.author_id])
    now = utc_now()
    for rule_id, detail in evidence:
        session.add(
            CaseEvidence(
                case_id=case.id,
                room_id=draft.room_id,
                seq=seq,
                author_id=draft.author_id,
                author_pseudonym=names.get(draft.author_id, ""),
                body=body,
                signal_rule=rule_id,
                signal_detail=detail[:500],
                written_at=now,
                captured_at=now,
            )
        )
    await session.flush()


async def _activity_signals(
    session: AsyncSession, draft: Draft, disabled: frozenset[str]
) -> list[signals.ActivitySignal]:
    """The author's private messages of the last week, as the activity rules read them."""
    now = utc_now()
    since = now - timedelta(days=7)
    private = list(PRIVATE_KINDS)
    rows = await session.exec(
        select(RoomMessage.room_id, RoomMessage.body, RoomMessage.created_at)
        .join(Room, col(Room.id) == col(RoomMessage.room_id))
        .where(RoomMessage.author_id == draft.author_id)
        .where(col(Room.kind).in_(private))
        .where(col(RoomMessage.created_at) >= since)
    )
    messages = list(rows.all())
    room_ids = {r for r, _, _ in messages} | {draft.room_id}
    others = await session.exec(
        select(RoomMember.room_id, RoomMember.account_id)
        .where(col(RoomMember.room_id).in_(room_ids))
        .where(RoomMember.account_id != draft.author_id)
    )
    recipients: dict[uuid.UUID, list[uuid.UUID]] = {}
    for room_id, account_id in others.all():
        recipients.setdefault(room_id, []).append(account_id)
    everyone = {a for group in recipients.values() for a in group}
    statuses = dict(
        (
            await session.exec(
                select(Membership.account_id, Membership.status).where(
                    col(Membership.account_id).in_(everyone)
                )
            )
        ).all()
    )
    events = []
    for room_id, body, at in [*messages, (draft.room_id, draft.text, now)]:
        for recipient in recipients.get(room_id, []):
            events.append(
                signals.MessageEvent(
                    sender_id=draft.author_id,
                    recipient_id=recipient,
                    recipient_is_newcomer=statuses.get(recipient) in (None, *NEWCOMER_STATUSES),
                    at=at,
                    asks_for_contact=signals.asks_for_contact(body, disabled=disabled),
                )
            )
    account = await session.get(Account, draft.author_id)
    created = {draft.author_id: account.created_at} if account else {}
    return list(
        signals.screen_activity(
            events, clock=lambda: now, account_created_at=created, disabled=disabled
        )
    )


async def screen_draft(session: AsyncSession, draft: Draft) -> Screened:
    """Flag what the rules find, withhold phone numbers from newcomers; return what to store."""
    disabled = await disabled_rules(session)
    found = signals.screen_message(draft.text, disabled=disabled)
    newcomers = bool(signals.find_phone_numbers(draft.text)) and await _has_newcomer_reader(
        session, draft.room_id, draft.author_id
    )
    withheld = signals.withhold_phone_numbers(
        draft.text, room_has_newcomers=newcomers, disabled=disabled
    )
    evidence = [(hit.rule_id, ", ".join(e.excerpt for e in hit.evidence)) for hit in found]
    severity = max((SEVERITY[hit.severity] for hit in found), default=Severity.LOW)
    if withheld.withheld:
        evidence.append((WITHHOLD_RULE, ", ".join(part.original for part in withheld.withheld)))
        severity = max(severity, Severity.MEDIUM)
    if draft.room_kind in PRIVATE_KINDS and (draft.room_kind is not RoomKind.MENTORING):
        for activity in await _activity_signals(session, draft, disabled):
            already = (
                await session.exec(
                    select(CaseEvidence.id)
                    .where(CaseEvidence.author_id == draft.author_id)
                    .where(CaseEvidence.signal_rule == activity.rule_id)
                    .where(col(CaseEvidence.captured_at) >= activity.first_at)
                )
            ).first()
            if already is None:
                evidence.append(
                    (activity.rule_id, f"{len(activity.recipient_ids)} people in a short time")
                )
                severity = max(severity, SEVERITY[activity.severity])
    text = withheld.text if withheld.withheld else draft.text
    if not evidence:
        return Screened(text)

    async def record(session: AsyncSession, seq: int) -> None:
        await _flag(session, draft, seq, severity=severity, evidence=evidence, body=draft.text)

    return Screened(text, record)


async def release(session: AsyncSession, actor: Actor, evidence_id: uuid.UUID) -> bool:
    """Let a withheld phone number through: the message gets its own words back."""
    row = await session.get(CaseEvidence, evidence_id)
    if row is None or row.signal_rule != WITHHOLD_RULE:
        raise NotFound()
    await case_access.access_case(session, actor, row.case_id)
    if row.room_id is None or row.seq is None:
        raise Conflict("Nothing was withheld here.")
    # Masking is deterministic: the stored text is what masking the evidence gives.
    masked = signals.withhold_phone_numbers(row.body, room_has_newcomers=True, disabled=()).text
    released = await room_messages.release_withheld_text(
        session, room_id=row.room_id, seq=row.seq, masked=masked, original=row.body
    )
    if not released:
        raise Conflict("The message was changed or deleted since; nothing to release.")
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.withheld_released",
        subject=f"case:{row.case_id}",
        details={"room": str(row.room_id), "seq": row.seq},
    )
    return True
