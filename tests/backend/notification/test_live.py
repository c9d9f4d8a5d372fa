"""The notification frames over a real /ws (uvicorn on 127.0.0.1): live, resumed by
sequence number after a reconnect, silent when the decision rolls back, read marks."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.notification import producers
from tests.backend.room.conftest import (
    LiveServer,
    Socket,
    http,
    join,
    make_room,
    open_socket,
    post,
    server,
    start_server,
)
from tests.conftest import Person, person_with

__all__ = ["http", "server", "start_server"]


async def resume(sock: Socket, after: int) -> dict[str, Any]:
    await sock.send({"type": "notifications", "after_seq": after})
    return await sock.recv_type("notifications_subscribed")


async def card_issued(app: FastAPI, person: Person) -> None:
    async with app.state.db.session() as session:
        await producers.card_issued(session, account_id=person.id)


def notifications(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "notification"]


class TestLive:
    async def test_live_then_resume_after_a_reconnect(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        lina = await person_with(app, http, "Lina", Role.MEMBER)
        joy = await person_with(app, http, "Joy", Role.MEMBER)
        joys = await open_socket(server, http, joy)
        await resume(joys, 0)
        first = await open_socket(server, http, lina)
        assert await resume(first, 0) == {
            "type": "notifications_subscribed",
            "last_seq": 0,
            "head_seq": 0,
            "unread": 0,
        }
        await card_issued(app, lina)
        live = await first.recv_type("notification")
        assert (live["seq"], live["kind"], live["alert"]) == (1, "card.issued", True)
        assert live["text"] == "Your active-member card is ready."
        await first.ws.close()

        # Two items while she is away, then she comes back holding seq 1.
        await card_issued(app, lina)
        async with app.state.db.session() as session:
            await producers.mentoring_ended(session, account_id=lina.id, other="Root B")
        second = await open_socket(server, http, lina)
        assert await resume(second, 1) == {
            "type": "notifications_subscribed",
            "last_seq": 1,
            "head_seq": 3,
            "unread": 3,
        }
        missed = [await second.recv_type("notification") for _ in range(2)]
        assert [(f["seq"], f["alert"]) for f in missed] == [(2, False), (3, False)]
        assert missed[1]["text"] == "Your mentoring with Root B has ended."
        await card_issued(app, lina)
        assert (await second.recv_type("notification"))["seq"] == 4
        assert notifications(await second.quiet(0.3)) == []
        # Joy's socket heard nothing of Lina's.
        assert notifications(await joys.quiet(0.3)) == []

    async def test_a_rolled_back_decision_sends_nothing(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        lina = await person_with(app, http, "Lina", Role.MEMBER)
        sock = await open_socket(server, http, lina)
        await resume(sock, 0)

        async def decide_then_fail() -> None:
            async with app.state.db.session() as session:
                await producers.card_issued(session, account_id=lina.id)
                raise RuntimeError("refused after all")

        with pytest.raises(RuntimeError):
            await decide_then_fail()
        assert notifications(await sock.quiet(0.5)) == []
        await card_issued(app, lina)
        # The next item takes seq 1: the rolled-back one never existed.
        assert (await sock.recv_type("notification"))["seq"] == 1

    async def test_paused_items_arrive_without_alert_and_read_marks_follow(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        lina = await person_with(app, http, "Lina", Role.MEMBER)
        paused = await http.put(
            "/api/notifications/preferences",
            json={"paused_until": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
            headers=lina.auth,
        )
        assert paused.json()["quiet_now"] is True
        sock = await open_socket(server, http, lina)
        await resume(sock, 0)
        await card_issued(app, lina)
        frame = await sock.recv_type("notification")
        assert frame["alert"] is False
        await http.post("/api/notifications/1/read", headers=lina.auth)
        assert await sock.recv_type("notifications_read") == {
            "type": "notifications_read",
            "seqs": [1],
        }
        await card_issued(app, lina)
        await card_issued(app, lina)
        await http.post("/api/notifications/read-all", json={}, headers=lina.auth)
        assert await sock.recv_type("notifications_read") == {
            "type": "notifications_read",
            "up_to_seq": 3,
        }

    async def test_a_mention_arrives_live(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana = await person_with(app, http, "Ioana", Role.FACILITATOR, Role.ACTIVE_MEMBER)
        lina = await person_with(app, http, "Lina", Role.MEMBER)
        room_id = await make_room(http, ioana)
        await join(http, lina, room_id)
        sock = await open_socket(server, http, lina)
        await resume(sock, 0)
        await post(http, ioana, room_id, "@Lina the keys are with me")
        frame = await sock.recv_type("notification")
        assert frame["kind"] == "room.mention"
        assert frame["text"] == "Ioana mentioned you in Tuesday circle."

    async def test_a_socket_that_did_not_ask_gets_no_feed(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        lina = await person_with(app, http, "Lina", Role.MEMBER)
        sock = await open_socket(server, http, lina)
        await card_issued(app, lina)
        assert notifications(await sock.quiet(0.4)) == []

    async def test_too_far_behind_then_live_from_the_head(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        lina = await person_with(app, http, "Lina", Role.MEMBER)
        async with app.state.db.session() as session:
            for _ in range(205):
                await producers.card_issued(session, account_id=lina.id)
        sock = await open_socket(server, http, lina)
        assert (await resume(sock, 0))["head_seq"] == 205
        behind = await sock.recv_type("notifications_too_far_behind")
        assert (behind["from_seq"], behind["to_seq"]) == (1, 205)
        await card_issued(app, lina)
        assert (await sock.recv_type("notification"))["seq"] == 206
