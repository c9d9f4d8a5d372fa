"""On a real server: her open sockets close, and others' screens lose her words at once."""

import httpx
from fastapi import FastAPI

from backend.realtime.connection import CLOSE_UNAUTHENTICATED
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

__all__ = ["http", "server", "start_server"]


class TestErasureLive:
    async def test_her_sockets_close_and_others_see_tombstones(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, joy = await people(app, http)
        room = await make_room(http, ioana)
        for person in (lina, joy):
            await join(http, person, room)
        await post(http, lina, room, "The orchard gate code is on the blue card")
        hers = await open_socket(server, http, lina)
        await hers.subscribe({room: 1})
        watching = await open_socket(server, http, joy)
        await watching.subscribe({room: 1})

        response = await http.post(
            "/api/me/erase", json={"password": lina.password}, headers=lina.auth
        )
        assert response.status_code == 204, response.text

        update = await watching.recv_type("message_updated")
        assert update["seq"] == 1
        assert update["body"] == ""
        assert update["deleted"] is True
        assert update["author"] is None
        assert await hers.close_code(timeout=5) == CLOSE_UNAUTHENTICATED
        await watching.close()
