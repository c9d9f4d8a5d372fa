"""The feed: storing items for their recipients, reading, marking read, preferences.

Producers (producers.py) call ``notify`` inside the transaction that takes the decision;
rows are stored there, and the live frame (and any push) leaves only after it commits
(``bus.publish_on_commit``), so a decision rolled back tells nobody anything.
"""

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import Account
from backend.core.db import Database
from backend.core.erasure import ErasureContext
from backend.core.errors import InvalidInput, NotFound
from backend.core.time import utc_now
from backend.notification import push
from backend.notification.catalogue import SAFETY_KINDS, TEMPLATES, Kind, render
from backend.notification.models import (
    Notification,
    NotificationCounter,
    NotificationPreference,
    PushSubscription,
)
from backend.realtime import bus

FEED = "notifications"
PAGE_MAX = 100


@dataclass(frozen=True)
class Reader:
    """How her items are shown: language and time zone as they are now."""

    language: str
    time_zone: str


@dataclass(frozen=True)
class Preferences:
    disabled_kinds: frozenset[str]
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    paused_until: datetime | None

    def is_enabled(self, kind: str) -> bool:
        return kind in SAFETY_KINDS or kind not in self.disabled_kinds

    def is_quiet(self, now: datetime, time_zone: str) -> bool:
        """Paused, or inside her quiet hours (in her own zone): nothing outside the app."""
        if self.paused_until is not None and now < self.paused_until:
            return True
        start, end = self.quiet_start_minute, self.quiet_end_minute
        if start is None or end is None or start == end:
            return False
        local = now.astimezone(_zone(time_zone))
        minute = local.hour * 60 + local.minute
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end


DEFAULT_PREFERENCES = Preferences(frozenset(), None, None, None)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _preferences(row: NotificationPreference | None) -> Preferences:
    if row is None:
        return DEFAULT_PREFERENCES
    return Preferences(
        frozenset(json.loads(row.disabled_kinds)),
        row.quiet_start_minute,
        row.quiet_end_minute,
        row.paused_until,
    )


def text_of(item: Notification, reader: Reader) -> str:
    return render(item.template, json.loads(item.params), reader.language, reader.time_zone)


def frame_of(item: Notification, reader: Reader, *, alert: bool) -> dict[str, Any]:
    """The /ws ``notification`` frame (docs/realtime.md)."""
    return {
        "type": "notification",
        "seq": item.seq,
        "id": str(item.id),
        "kind": item.kind,
        "text": text_of(item, reader),
        "link": item.link,
        "created_at": item.created_at.isoformat(),
        "read_at": item.read_at.isoformat() if item.read_at else None,
        "alert": alert,
    }


# ---------------------------------------------------------------- storing


async def _next_seqs(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Raise each account's counter by one, in account order (so two producers never lock
    the same rows in opposite orders). The row stays locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.exec(
        insert(NotificationCounter)
        .values([{"account_id": a, "last_seq": 0} for a in account_ids])
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    seqs: dict[uuid.UUID, int] = {}
    for account_id in account_ids:
        result = await session.exec(
            update(NotificationCounter)
            .where(col(NotificationCounter.account_id) == account_id)
            .values(last_seq=NotificationCounter.last_seq + 1)
            .returning(col(NotificationCounter.last_seq))
        )
        seqs[account_id] = int(result.scalar_one())
    return seqs


async def notify(
    session: AsyncSession,
    recipients: Iterable[uuid.UUID],
    *,
    kind: Kind,
    template: str,
    params: dict[str, Any] | None = None,
    link: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Store one item for each recipient who wants this kind, in the caller's transaction;
    their live frames (and pushes) leave after it commits.

    ``dedupe_key`` makes a scheduled reminder idempotent: a recipient who already has an
    item with that key gets nothing. Returns the items stored.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown notification template {template!r}")
    wanted = sorted(set(recipients))
    if not wanted:
        return []
    params = params or {}
    accounts = {
        a.id: a
        for a in (await session.exec(select(Account).where(col(Account.id).in_(wanted)))).all()
    }
    preferences = {
        p.account_id: _preferences(p)
        for p in (
            await session.exec(
                select(NotificationPreference).where(
                    col(NotificationPreference.account_id).in_(wanted)
                )
            )
        ).all()
    }
    chosen = [
        a
        for a in wanted
        if a in accounts and preferences.get(a, DEFAULT_PREFERENCES).is_enabled(kind)
    ]
    if dedupe_key is not None and chosen:
        done = set(
            (
                await session.exec(
                    select(Notification.account_id)
                    .where(col(Notification.account_id).in_(chosen))
                    .where(Notification.dedupe_key == dedupe_key)
                )
            ).all()
        )
        chosen = [a for a in chosen if a not in done]
    if not chosen:
        return []
    seqs = await _next_seqs(session, chosen)
    now = utc_now()
    encoded = json.dumps(params, sort_keys=True, ensure_ascii=False)
    items = [
        Notification(
            account_id=a,
            seq=seqs[a],
            kind=kind,
            template=template,
            params=encoded,
            link=link,
            dedupe_key=dedupe_key,
            created_at=now,
        )
        for a in chosen
    ]
    session.add_all(items)
    await session.flush()
    for item in items:
        account = accounts[item.account_id]
        reader = Reader(account.language, account.time_zone)
        quiet = preferences.get(item.account_id, DEFAULT_PREFERENCES).is_quiet(
            now, account.time_zone
        )
        bus.publish_on_commit(
            session,
            bus.AccountFrameEvent(
                item.account_id, FEED, item.seq, frame_of(item, reader, alert=not quiet)
            ),
        )
        if not quiet:
            push.send_on_commit(session, item.account_id)
    return items


# ---------------------------------------------------------------- reading


async def reader_of(session: AsyncSession, account_id: uuid.UUID) -> Reader:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return Reader(account.language, account.time_zone)


async def head_of(session: AsyncSession, account_id: uuid.UUID) -> int:
    counter = await session.get(NotificationCounter, account_id)
    return counter.last_seq if counter else 0


async def unread_count(session: AsyncSession, account_id: uuid.UUID) -> int:
    statement = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.account_id == account_id)
        .where(col(Notification.read_at).is_(None))
    )
    return int((await session.exec(statement)).one())


async def list_feed(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    before_seq: int | None = None,
    after_seq: int | None = None,
    limit: int = 50,
    unread_only: bool = False,
) -> list[Notification]:
    """Newest first, or oldest first when paging forward with ``after_seq``."""
    limit = max(1, min(limit, PAGE_MAX))
    statement = select(Notification).where(Notification.account_id == account_id)
    if before_seq is not None:
        statement = statement.where(Notification.seq < before_seq)
    if after_seq is not None:
        statement = statement.where(Notification.seq > after_seq)
    if unread_only:
        statement = statement.where(col(Notification.read_at).is_(None))
    order = col(Notification.seq).asc() if after_seq is not None else col(Notification.seq).desc()
    return list((await session.exec(statement.order_by(order).limit(limit))).all())


def _publish_read(session: AsyncSession, account_id: uuid.UUID, marks: dict[str, Any]) -> None:
    """Her other sockets follow a read mark: ``{"seqs": [n]}`` or ``{"up_to_seq": n}``."""
    bus.publish_on_commit(
        session,
        bus.AccountFrameEvent(account_id, FEED, None, {"type": "notifications_read", **marks}),
    )


async def mark_read(session: AsyncSession, account_id: uuid.UUID, seq: int) -> Notification:
    item = (
        await session.exec(
            select(Notification)
            .where(Notification.account_id == account_id)
            .where(Notification.seq == seq)
        )
    ).first()
    if item is None:
        raise NotFound()
    if item.read_at is None:
        item.read_at = utc_now()
        session.add(item)
        await session.flush()
        _publish_read(session, account_id, {"seqs": [seq]})
    return item


async def mark_all_read(
    session: AsyncSession, account_id: uuid.UUID, *, up_to_seq: int | None = None
) -> int:
    """Everything unread up to ``up_to_seq`` (what she has seen; all when None)."""
    statement = (
        select(Notification.seq)
        .where(Notification.account_id == account_id)
        .where(col(Notification.read_at).is_(None))
    )
    if up_to_seq is not None:
        statement = statement.where(Notification.seq <= up_to_seq)
    seqs = sorted((await session.exec(statement)).all())
    if seqs:
        await session.exec(
            update(Notification)
            .where(col(Notification.account_id) == account_id)
            .where(col(Notification.seq).in_(seqs))
            .values(read_at=utc_now())
        )
        _publish_read(session, account_id, {"up_to_seq": seqs[-1]})
    return len(seqs)


@dataclass(frozen=True)
class FeedPage:
    head: int
    unread: int
    # Oldest first; each frame carries its "seq".
    frames: list[dict[str, Any]]


async def feed_page_after(db: Database, account_id: uuid.UUID, after: int, limit: int) -> FeedPage:
    """What a reconnecting socket missed, rendered for her now (``limit`` 0: only where
    the feed stands)."""
    async with db.session(write=False) as session:
        head = await head_of(session, account_id)
        if limit == 0:
            return FeedPage(head, await unread_count(session, account_id), [])
        reader = await reader_of(session, account_id)
        items = await list_feed(session, account_id, after_seq=after, limit=limit)
    frames = [frame_of(item, reader, alert=False) for item in items]
    return FeedPage(head, 0, frames)


# ---------------------------------------------------------------- preferences


async def get_preferences(session: AsyncSession, account_id: uuid.UUID) -> Preferences:
    return _preferences(await session.get(NotificationPreference, account_id))


async def set_preferences(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    disabled_kinds: Sequence[str],
    quiet_start_minute: int | None,
    quiet_end_minute: int | None,
    paused_until: datetime | None,
) -> Preferences:
    known = set(Kind)
    if unknown := sorted(set(disabled_kinds) - known):
        raise InvalidInput(
            "Some of these are not kinds of notification.",
            fields={"disabled_kinds": f"Unknown: {', '.join(unknown)}."},
        )
    if locked := sorted(set(disabled_kinds) & SAFETY_KINDS):
        raise InvalidInput(
            "Notices about your safety and your card cannot be switched off; they stay quiet "
            "outside the app during your quiet hours.",
            fields={"disabled_kinds": f"Always on: {', '.join(locked)}."},
        )
    if (quiet_start_minute is None) != (quiet_end_minute is None):
        raise InvalidInput(
            "Quiet hours need a start and an end.",
            fields={"quiet_hours": "Give both times, or neither."},
        )
    row = await session.get(NotificationPreference, account_id) or NotificationPreference(
        account_id=account_id
    )
    row.disabled_kinds = json.dumps(sorted(set(disabled_kinds)))
    row.quiet_start_minute, row.quiet_end_minute = quiet_start_minute, quiet_end_minute
    row.paused_until = paused_until
    session.add(row)
    await session.flush()
    return _preferences(row)


# ---------------------------------------------------------------- push subscriptions


async def add_push_subscription(
    session: AsyncSession, account_id: uuid.UUID, *, endpoint: str, p256dh: str, auth: str
) -> PushSubscription:
    existing = (
        await session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    ).first()
    if existing is not None:
        # A browser endpoint belongs to whoever signed in on it last.
        await session.delete(existing)
        await session.flush()
    row = PushSubscription(
        account_id=account_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=utc_now()
    )
    session.add(row)
    await session.flush()
    return row


async def remove_push_subscription(
    session: AsyncSession, account_id: uuid.UUID, subscription_id: uuid.UUID
) -> None:
    row = await session.get(PushSubscription, subscription_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
    await session.delete(row)
    await session.flush()


# ---------------------------------------------------------------- erasure


async def delete_for_account(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Erase everything of hers here: items, counter, preferences, push endpoints.

    For account erasure (issue 6); runs in the caller's transaction. Returns how many
    items were removed.
    """
    removed = await session.exec(
        delete(Notification).where(col(Notification.account_id) == account_id)
    )
    for table in (NotificationCounter, NotificationPreference, PushSubscription):
        await session.exec(delete(table).where(col(table.account_id) == account_id))
    return int(getattr(removed, "rowcount", 0) or 0)


async def erase_notifications(session: AsyncSession, erased: ErasureContext) -> None:
    """Her feed goes with her account (listed in backend/privacy/hooks.py)."""
    erased.count("notifications", await delete_for_account(session, erased.account_id))


async def export_notifications(session: AsyncSession, account_id: uuid.UUID) -> Any:
    """Her feed as she reads it."""
    reader = await reader_of(session, account_id)
    rows = (
        await session.exec(
            select(Notification)
            .where(Notification.account_id == account_id)
            .order_by(col(Notification.seq))
        )
    ).all()
    return [
        {
            "kind": n.kind,
            "text": render(n.template, json.loads(n.params), reader.language, reader.time_zone),
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in rows
    ]
