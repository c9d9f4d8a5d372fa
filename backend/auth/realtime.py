"""Her Actor on /ws: at the handshake and again for every frame (auth/actor.py makes it)."""

import logging
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.websockets import WebSocket

from backend.auth import service as auth_service
from backend.auth.actor import Actor, actor_for_session, actor_for_token
from backend.auth.dependencies import SESSION_COOKIE
from backend.auth.lookup import SessionLookup
from backend.auth.tickets import redeem_ws_ticket
from backend.core.db import Database
from backend.core.time import utc_now
from backend.realtime.connection import CLOSE_UNAUTHENTICATED, Connection
from backend.realtime.hub import Hub

log = logging.getLogger("tandem.auth.realtime")


def _lookup(websocket: WebSocket) -> SessionLookup:
    lookup: SessionLookup = websocket.app.state.session_lookup
    return lookup


async def identify(hub: Hub, websocket: WebSocket) -> Actor | None:
    """Who opens this socket: by a single-use ticket, else a bearer token or the cookie."""
    ticket = websocket.query_params.get("ticket")
    if ticket:
        async with hub.db.session(write=True) as session:
            session_id = await redeem_ws_ticket(session, ticket)
        if session_id is None:
            return None
        return await actor_for_session(_lookup(websocket), hub.settings, session_id)
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    token = token or websocket.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await actor_for_token(_lookup(websocket), hub.settings, token)


async def actor_for_frame(
    connection: Connection, *, touch_in: AsyncSession | None = None
) -> Actor | None:
    """Her Actor for this frame, read outside any transaction; the socket closes when her
    session has ended. ``touch_in``: the frame's write session, where a stale "last seen"
    is refreshed (it holds SQLite's write lock already; a second writer would wait)."""
    hub = connection.hub
    actor = await actor_for_session(
        _lookup(connection.websocket), hub.settings, connection.session_id
    )
    if actor is None:
        connection.close(CLOSE_UNAUTHENTICATED, "Your session has ended. Please sign in again.")
        return None
    if auth_service.needs_touch(actor.session, utc_now()):
        if touch_in is not None:
            await auth_service.touch_session(touch_in, actor.session.id)
        else:
            # Afterwards, not inside this frame's read: a second session opened while
            # holding the first starved the pool when many sockets subscribed at once.
            hub.spawn(_touch_session(hub.db, actor.session.id))
    connection.grants = actor.grants
    return actor


async def _touch_session(db: Database, session_id: uuid.UUID) -> None:
    try:
        async with db.session(write=True) as session:
            await auth_service.touch_session(session, session_id)
    except Exception:
        # Only "last seen" is lost; the next frame tries again.
        log.exception("could not note a session as seen")
