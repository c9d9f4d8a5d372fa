"""The audit log: append-only, each entry carrying the hash of the one before it.

An entry is written in the same transaction as the action it records, so a failed action
leaves no entry and an action never happens without one. Appends are serialised (SQLite:
the IMMEDIATE write transaction; PostgreSQL: a transaction-scoped advisory lock) so two
entries never claim the same predecessor.
"""

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.db import UTCDateTime
from backend.core.time import utc_now

GENESIS_HASH = "0" * 64
# Any fixed number: it names the lock that serialises appends on PostgreSQL.
_AUDIT_LOCK_KEY = 7_240_001


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=80, index=True)
    subject: str = Field(default="", max_length=120, index=True)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


def _canonical(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor_id: uuid.UUID | None,
    action: str,
    subject: str,
    details: str,
    prev_hash: str,
) -> str:
    material = _canonical(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": str(actor_id) if actor_id else None,
            "action": action,
            "subject": subject,
            "details": details,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(material.encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction; it lands only if that transaction commits.

    Never put a sealed value (legal name, contact) in ``details``: the log is not sealed.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        connection = await session.connection()
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_AUDIT_LOCK_KEY)
        )
    last = (
        await session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1))
    ).first()
    seq = last.seq + 1 if last else 1
    prev_hash = last.hash if last else GENESIS_HASH
    at = utc_now()
    details_text = _canonical(details or {})
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        subject=subject,
        details=details_text,
        prev_hash=prev_hash,
        hash=entry_hash(
            seq=seq,
            at=at,
            actor_id=actor_id,
            action=action,
            subject=subject,
            details=details_text,
            prev_hash=prev_hash,
        ),
    )
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries_checked: int
    first_broken_seq: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


async def _entries_in_order(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEntry]:
    after = 0
    while True:
        rows = (
            await session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.seq) > after)
                .order_by(col(AuditEntry.seq))
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Recompute every hash in order and name the first entry that does not match."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    async for entry in _entries_in_order(session):
        checked += 1
        if entry.seq != expected_seq:
            return ChainReport(checked, entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.seq, "it does not point to the entry before it")
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            action=entry.action,
            subject=entry.subject,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return ChainReport(checked, entry.seq, "its content no longer matches its hash")
        expected_prev = entry.hash
        expected_seq += 1
    return ChainReport(checked, None, None)
