"""Her side of the work: a secret calendar address for her shifts."""

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import NotFound
from backend.core.time import utc_now
from backend.peerwork import ical, views
from backend.peerwork.models import CalendarFeed


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_calendar_token(session: AsyncSession, account_id: uuid.UUID) -> str:
    """A new secret calendar address; the previous one stops working at once."""
    token = secrets.token_urlsafe(32)
    feed_row = await session.get(CalendarFeed, account_id)
    if feed_row is None:
        feed_row = CalendarFeed(
            account_id=account_id, token_hash=_token_hash(token), created_at=utc_now()
        )
    feed_row.token_hash, feed_row.created_at = _token_hash(token), utc_now()
    session.add(feed_row)
    await session.flush()
    await audit.record(
        session,
        actor_id=account_id,
        action="peerwork.calendar_token_issued",
        subject=f"account:{account_id}",
    )
    return token


async def revoke_calendar_token(session: AsyncSession, account_id: uuid.UUID) -> None:
    feed_row = await session.get(CalendarFeed, account_id)
    if feed_row is not None:
        await session.delete(feed_row)
        await audit.record(
            session,
            actor_id=account_id,
            action="peerwork.calendar_token_revoked",
            subject=f"account:{account_id}",
        )


async def calendar_feed(session: AsyncSession, token: str, calendar_name: str) -> bytes:
    """The feed behind a secret address; unknown and revoked addresses are both 404."""
    statement = select(CalendarFeed).where(CalendarFeed.token_hash == _token_hash(token))
    feed_row = (await session.exec(statement)).first()
    if feed_row is None:
        raise NotFound()
    now = utc_now()
    shifts = await views.my_shifts(session, feed_row.account_id, since=now - timedelta(days=31))
    entries = [
        ical.CalendarEntry(
            uid=m.assignment.id,
            starts_at=m.shift.starts_at,
            ends_at=m.shift.ends_at,
            changed_at=m.assignment.created_at,
        )
        for m in shifts
    ]
    return ical.feed(entries, calendar_name=calendar_name, now=now)
