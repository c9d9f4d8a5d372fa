"""Data rights: export everything about her, erase her account, keep messages no longer
than the community decided."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import Account, AuthSession
from backend.core import audit
from backend.core.db import Database
from backend.core.erasure import ErasureContext
from backend.core.errors import NotFound
from backend.core.time import utc_now
from backend.privacy import hooks
from backend.privacy.models import RetentionSetting
from backend.room.models import MessageRevision, Room, RoomKind, RoomMessage

log = logging.getLogger("tandem.privacy")

EXPORT_FORMAT = "tandem-export/1"
RETENTION_REASON = "retention"
# Bound the ids in one statement (SQLite allows 32766 parameters).
RETENTION_BATCH = 2000


async def export_data(
    session: AsyncSession, account_id: uuid.UUID, *, duress: bool = False
) -> dict[str, Any]:
    """Everything about her, by section (hooks.EXPORTERS). The export itself is logged.

    Signed in with her duress password, someone may be making her do this: the file is
    the harmless view (her account's plain settings, every other section empty), shaped
    like a real one, and the log says so for safeguarding.
    """
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    if duress:
        sections: dict[str, Any] = {name: {} for name in hooks.EXPORTERS}
        sections["account"] = {
            "id": account.id,
            "pseudonym": account.pseudonym,
            "language": account.language,
            "time_zone": account.time_zone,
            "created_at": account.created_at,
        }
    else:
        sections = {name: await run(session, account_id) for name, run in hooks.EXPORTERS.items()}
    exported_at = utc_now()
    await audit.record(
        session,
        actor_id=account_id,
        action="account.exported",
        subject=f"account:{account_id}",
        details={"sections": sorted(sections), "duress": duress},
    )
    return {"format": EXPORT_FORMAT, "exported_at": exported_at, **sections}


async def erase_account(session: AsyncSession, account_id: uuid.UUID) -> dict[str, int]:
    """Run every eraser (hooks.ERASERS) in this one transaction; any refusal undoes all.

    The caller confirmed her password. The log keeps that an account was erased and what
    was removed, by id and counts: never her pseudonym.
    """
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    erased = ErasureContext(account_id=account_id, pseudonym=account.pseudonym, now=utc_now())
    for erase in hooks.ERASERS:
        await erase(session, erased)
    await session.flush()
    await audit.record(
        session,
        actor_id=account_id,
        action="account.erased",
        subject=f"account:{account_id}",
        details={"removed": dict(sorted(erased.counts.items()))},
    )
    return erased.counts


async def refuse_erasure_under_duress(session: AsyncSession, session_id: uuid.UUID) -> None:
    """An erasure asked from a duress login: nothing is erased; that session ends; the log
    tells safeguarding (who were alerted at the duress login)."""
    row = await session.get(AuthSession, session_id)
    if row is None:
        return
    row.revoked_at = utc_now()
    session.add(row)
    await audit.record(
        session,
        actor_id=row.account_id,
        action="account.erasure_refused_under_duress",
        subject=f"account:{row.account_id}",
    )


async def scrub_free_space(database: Database) -> bool:
    """After erasing, make sure the erased text is not left in the database's files.

    SQLite: every connection runs with secure_delete on (core/db.py), so freed space is
    zeroed when it is freed; the old page images still sit in the write-ahead log until a
    checkpoint copies the new pages over and truncates it. Returns False when readers kept
    the checkpoint from finishing (the scheduled task tries again). PostgreSQL keeps dead
    rows until VACUUM (autovacuum); docs/privacy.md says what the operator does.
    """
    if not database.is_sqlite:
        return True
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None  # noqa: S101 - a pooled connection always has its driver
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = await cursor.fetchone()
        await cursor.close()
    busy = int(row[0]) if row else 1
    return busy == 0


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    room_kind: RoomKind
    days: int | None
    updated_at: datetime | None


async def list_retention(session: AsyncSession) -> list[Retention]:
    rows = {r.room_kind: r for r in (await session.exec(select(RetentionSetting))).all()}
    return [
        Retention(
            room_kind=kind,
            days=rows[kind].days if kind in rows else None,
            updated_at=rows[kind].updated_at if kind in rows else None,
        )
        for kind in RoomKind
    ]


async def set_retention(
    session: AsyncSession, *, actor_id: uuid.UUID, room_kind: RoomKind, days: int | None
) -> list[Retention]:
    row = await session.get(RetentionSetting, room_kind)
    before = row.days if row else None
    row = row or RetentionSetting(room_kind=room_kind, updated_at=utc_now())
    row.days, row.updated_at, row.updated_by = days, utc_now(), actor_id
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="retention.changed",
        subject=f"room_kind:{room_kind}",
        details={"from_days": before, "to_days": days},
    )
    return await list_retention(session)


async def apply_retention(session: AsyncSession) -> dict[str, int]:
    """Messages older than their room kind's limit become tombstones (authors stay: this is
    the community's rule, not an erasure). Their earlier versions go with them."""
    now = utc_now()
    removed: dict[str, int] = {}
    settings = (
        await session.exec(select(RetentionSetting).where(col(RetentionSetting.days).is_not(None)))
    ).all()
    for setting in settings:
        assert setting.days is not None  # noqa: S101 - filtered above
        cutoff = now - timedelta(days=setting.days)
        expired = (
            select(RoomMessage.id)
            .join(Room, col(Room.id) == col(RoomMessage.room_id))
            .where(col(Room.kind) == setting.room_kind)
            .where(col(RoomMessage.created_at) < cutoff)
            .where(col(RoomMessage.deleted_at).is_(None))
            .limit(RETENTION_BATCH)
        )
        while ids := list((await session.exec(expired)).all()):
            await session.exec(
                delete(MessageRevision).where(col(MessageRevision.message_id).in_(ids))
            )
            await session.exec(
                update(RoomMessage)
                .where(col(RoomMessage.id).in_(ids))
                .values(
                    body="",
                    client_id=None,
                    deleted_at=now,
                    changed_at=now,
                    delete_reason=RETENTION_REASON,
                )
            )
            removed[setting.room_kind] = removed.get(setting.room_kind, 0) + len(ids)
    if removed:
        await audit.record(
            session, actor_id=None, action="retention.applied", details={"messages": removed}
        )
    return removed
