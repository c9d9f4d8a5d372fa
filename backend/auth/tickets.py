"""Single-use tickets that open one WebSocket for one login session (docs/realtime.md)."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlmodel import col, delete, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import WsTicket
from backend.core.config import Settings
from backend.core.time import utc_now


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue_ws_ticket(
    session: AsyncSession, settings: Settings, account_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[str, datetime]:
    now = utc_now()
    await session.exec(delete(WsTicket).where(col(WsTicket.expires_at) < now - timedelta(hours=1)))
    ticket = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=settings.ws_ticket_seconds)
    session.add(
        WsTicket(
            ticket_hash=_ticket_hash(ticket),
            account_id=account_id,
            session_id=session_id,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return ticket, expires_at


async def redeem_ws_ticket(session: AsyncSession, ticket: str) -> uuid.UUID | None:
    """Use a ticket once: the login session it opens, or None when it is unknown, used or
    expired. Whether that session is still live is the Actor's check (auth/actor.py)."""
    now = utc_now()
    result = await session.exec(
        update(WsTicket)
        .where(col(WsTicket.ticket_hash) == _ticket_hash(ticket))
        .where(col(WsTicket.used_at).is_(None))
        .where(col(WsTicket.expires_at) > now)
        .values(used_at=now)
        .returning(col(WsTicket.session_id))
    )
    row = result.first()
    return None if row is None else uuid.UUID(str(row[0]))
