"""The /ws endpoint: the handshake, the read loop, and frames handed to their domain."""

import asyncio
import contextlib
import json
import time
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.websockets import WebSocket

from backend.core.errors import TandemError
from backend.realtime import rules
from backend.realtime.connection import (
    CLOSE_FLOOD,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_UNAUTHENTICATED,
    Connection,
)
from backend.realtime.hub import Hub

# Refused frames in a row, past the burst, before a flooding socket is closed.
FLOOD_STRIKES = 50

ws_router = APIRouter()


@ws_router.websocket("/ws")
async def realtime(websocket: WebSocket) -> None:
    """Live rooms and notifications (docs/realtime.md)."""
    await serve_websocket(websocket)


async def serve_websocket(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    settings = hub.settings
    if not rules.is_allowed_origin(
        websocket.headers.get("origin"),
        host=websocket.headers.get("host"),
        secure=websocket.url.scheme == "wss",
        allowed=settings.ws_allowed_origins,
    ):
        # Before accepting: the handshake is refused with 403 and nothing is read.
        await websocket.close(code=CLOSE_POLICY)
        return
    await hub.ensure_started()
    identity = None if hub.authenticator is None else await hub.authenticator(hub, websocket)
    if identity is None:
        await websocket.accept()
        await websocket.close(CLOSE_UNAUTHENTICATED, "Please sign in again.")
        return
    if hub.connection_count(identity.account_id) >= settings.ws_max_connections_per_account:
        await websocket.accept()
        await websocket.close(CLOSE_TOO_MANY_CONNECTIONS, "Too many open connections.")
        return
    connection = Connection(hub, websocket, identity)
    hub.register(connection)
    try:
        await websocket.accept()
        connection.offer_data(
            {
                "type": "hello",
                "connection_id": connection.id,
                "account_id": str(identity.account_id),
                "pseudonym": identity.pseudonym,
                "limits": {
                    "max_frame_bytes": settings.ws_max_frame_bytes,
                    **hub.limits,
                    "frames_per_second": settings.ws_frames_per_second,
                    "frame_burst": settings.ws_frame_burst,
                    "backlog_limit": settings.ws_backlog_limit,
                },
            }
        )
        await _read_forever(connection)
    finally:
        if not connection.closing:
            connection.closing = True
            hub.unregister(connection)
        for task in list(connection.tasks or ()):
            task.cancel()
        if connection.writer is not None and not connection.writer.done():
            # Let a queued close frame go out; then stop writing.
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(connection.writer), timeout=0.5)
            connection.writer.cancel()


async def _read_forever(connection: Connection) -> None:
    websocket = connection.websocket
    limit = connection.hub.settings.ws_max_frame_bytes
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if connection.closing:
            continue
        text = message.get("text")
        if text is None:
            connection.error("binary_not_accepted", "Send frames as JSON text.")
            continue
        if len(text) > limit or len(text.encode()) > limit:
            connection.close(CLOSE_TOO_BIG, f"Frames are at most {limit} bytes.")
            continue
        now = time.monotonic()
        if not connection.bucket.take(now):
            connection.strikes += 1
            if connection.strikes > FLOOD_STRIKES:
                connection.close(CLOSE_FLOOD, "Too many frames.")
                continue
            connection.error(
                "rate_limited",
                "You are sending too fast; this frame was not processed.",
                retry_after_ms=int(connection.bucket.wait_seconds() * 1000) + 1,
            )
            continue
        connection.strikes = 0
        await _handle_frame(connection, text)


def _frame_error_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors():
        parts = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
        loc = ".".join(parts) or "type"
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "This field is required."
        fields.setdefault(loc, message)
    return fields


def _echo_client_id(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict) and isinstance(raw.get("client_id"), str):
        return {"client_id": raw["client_id"][:64]}
    return {}


async def _handle_frame(connection: Connection, text: str) -> None:
    try:
        raw = json.loads(text)
    except ValueError:
        connection.error("invalid_json", "The frame is not valid JSON.")
        return
    frame_type = raw.get("type") if isinstance(raw, dict) else None
    route = connection.hub.frames.get(frame_type) if isinstance(frame_type, str) else None
    if route is None:
        known = ", ".join(sorted(connection.hub.frames))
        connection.error(
            "invalid_frame",
            "The frame needs attention.",
            fields={"type": f"Unknown frame type; expected one of: {known}."},
            **_echo_client_id(raw),
        )
        return
    try:
        frame = route.model.model_validate(raw)
    except ValidationError as exc:
        connection.error(
            "invalid_frame",
            "The frame needs attention.",
            fields=_frame_error_fields(exc),
            **_echo_client_id(raw),
        )
        return
    try:
        await route.handle(connection, frame)
    except TandemError as exc:
        extra: dict[str, Any] = {}
        for name in route.echo:
            value = getattr(frame, name, None)
            if value is not None:
                extra[name] = str(value)
        connection.error(exc.code, exc.message, fields=exc.fields, **extra)
