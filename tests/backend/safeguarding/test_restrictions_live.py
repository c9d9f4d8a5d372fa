"""Restrictions reach open WebSocket connections at once, through real sockets."""

import time

import httpx
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.realtime.connection import CLOSE_ACCESS_CHANGED
from tests.backend.room.conftest import (
    LiveServer,
    http,
    join,
    make_room,
    open_socket,
    people,
    post,
    server,
    start_server,
)
from tests.conftest import person_with

__all__ = ["http", "server", "start_server"]


async def test_restriction_applies_to_live_sockets_at_once(
    app: FastAPI, server: LiveServer, http: httpx.AsyncClient
) -> None:
    ioana, lina, joy = await people(app, http)
    noor = await person_with(app, http, "Noor", Role.SAFEGUARDING)
    room = await make_room(http, ioana)
    for person in (lina, joy):
        await join(http, person, room)
    lina_phone = await open_socket(server, http, lina)
    lina_laptop = await open_socket(server, http, lina)
    joy_sock = await open_socket(server, http, joy)
    for sock in (lina_phone, lina_laptop, joy_sock):
        await sock.subscribe({room: 0})

    read_only = await http.post(
        f"/api/safety/accounts/{lina.id}/restrictions",
        json={"effects": ["read_only"], "reason": "interim"},
        headers=noor.auth,
    )
    assert read_only.status_code == 201
    await lina_phone.send({"type": "send", "room_id": str(room), "client_id": "x", "body": "hi"})
    refusal = await lina_phone.recv_type("error")
    assert refusal["code"] == "read_only"
    # She still reads the room live.
    await post(http, joy, room, "still readable")
    assert [f["body"] for f in await lina_laptop.messages(1)] == ["still readable"]
    assert [f["body"] for f in await joy_sock.messages(1)] == ["still readable"]

    started = time.monotonic()
    removed = await http.post(
        f"/api/safety/accounts/{lina.id}/restrictions",
        json={"effects": ["removed_from_rooms"], "reason": "asked for home addresses"},
        headers=noor.auth,
    )
    assert removed.status_code == 201
    await post(http, joy, room, "after the restriction")
    for sock in (lina_phone, lina_laptop):
        frames = await sock.drain(timeout=5)
        assert sock.ws.close_code == CLOSE_ACCESS_CHANGED
        assert "after the restriction" not in [f.get("body") for f in frames]
    assert time.monotonic() - started < 5
    assert [f["body"] for f in await joy_sock.messages(1)] == ["after the restriction"]
    again = await open_socket(server, http, lina)
    await again.send({"type": "subscribe", "rooms": {str(room): 0}})
    assert (await again.recv_type("error"))["code"] == "not_found"
    for sock in (again, joy_sock):
        await sock.close()
