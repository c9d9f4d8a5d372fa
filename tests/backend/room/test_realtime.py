"""The /ws protocol over real sockets, against a uvicorn server on 127.0.0.1."""

import asyncio
import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select, update
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.protocol import State
from websockets.server import ServerProtocol

from backend.auth import service as auth_service
from backend.auth.models import AuthSession
from backend.core.time import frozen_clock
from backend.realtime.connection import (
    CLOSE_ACCESS_CHANGED,
    CLOSE_FLOOD,
    CLOSE_SLOW_CONSUMER,
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_UNAUTHENTICATED,
)
from backend.realtime.wire import text_frame
from tests.backend.room.conftest import (
    LiveServer,
    StartServer,
    join,
    make_room,
    open_socket,
    people,
    post,
    ticket,
)


def seqs(frames: list[dict[str, object]]) -> list[object]:
    return [f["seq"] for f in frames]


class TestConnect:
    async def test_no_credentials_closes_with_4001(self, server: LiveServer) -> None:
        async with connect(server.ws_url, compression=None) as ws:
            with pytest.raises(Exception):  # noqa: B017, PT011 - the close is the point
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == CLOSE_UNAUTHENTICATED

    async def test_foreign_origin_is_refused_before_the_handshake(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, _, _ = await people(app, http)
        value = await ticket(http, ioana)
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                f"{server.ws_url}?ticket={value}",
                origin="https://elsewhere.example",
                compression=None,
            )
        assert refused.value.response.status_code == 403
        # The ticket was not spent by the refused handshake.
        ws = await connect(f"{server.ws_url}?ticket={value}", origin=server.url, compression=None)
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.close()

    async def test_ticket_is_single_use_and_short_lived(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, _, _ = await people(app, http)
        value = await ticket(http, ioana)
        first = await connect(f"{server.ws_url}?ticket={value}", compression=None)
        assert json.loads(await first.recv())["type"] == "hello"
        async with connect(f"{server.ws_url}?ticket={value}", compression=None) as again:
            with pytest.raises(Exception):  # noqa: B017, PT011
                await asyncio.wait_for(again.recv(), 5)
            assert again.close_code == CLOSE_UNAUTHENTICATED
        await first.close()
        stale = await ticket(http, ioana)
        with frozen_clock(datetime.now(UTC) + timedelta(seconds=31)):
            async with connect(f"{server.ws_url}?ticket={stale}", compression=None) as late:
                with pytest.raises(Exception):  # noqa: B017, PT011
                    await asyncio.wait_for(late.recv(), 5)
                assert late.close_code == CLOSE_UNAUTHENTICATED

    async def test_session_cookie_authenticates(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        await people(app, http)
        login = await http.post(
            "/api/auth/login", json={"pseudonym": "Lina", "password": "correct horse battery"}
        )
        cookie = login.cookies["tandem_session"]
        async with connect(
            server.ws_url,
            compression=None,
            origin=server.url,
            additional_headers={"Cookie": f"tandem_session={cookie}"},
        ) as ws:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello"
            assert hello["pseudonym"] == "Lina"

    async def test_connections_per_account_are_capped(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(ws_max_connections_per_account=2)
        async with httpx.AsyncClient(base_url=server.url) as http:
            _, lina, _ = await people(app, http)
            sockets = [await open_socket(server, http, lina) for _ in range(2)]
            value = await ticket(http, lina)
            async with connect(f"{server.ws_url}?ticket={value}", compression=None) as third:
                with pytest.raises(Exception):  # noqa: B017, PT011
                    await asyncio.wait_for(third.recv(), 5)
                assert third.close_code == CLOSE_TOO_MANY_CONNECTIONS
            for sock in sockets:
                await sock.close()


class TestOrderAndResume:
    async def test_every_message_once_in_order_without_gaps(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(ws_frames_per_second=1000, ws_frame_burst=1000)
        async with httpx.AsyncClient(base_url=server.url) as http:
            ioana, lina, joy = await people(app, http)
            room = await make_room(http, ioana)
            await join(http, lina, room)
            await join(http, joy, room)
            readers = [await open_socket(server, http, p) for p in (ioana, lina)]
            for reader in readers:
                await reader.subscribe({room: 0})
            writer = await open_socket(server, http, joy)
            # Joy writes over the socket while Lina and Ioana write over HTTP, all at once.
            for i in range(30):
                await writer.send(
                    {"type": "send", "room_id": str(room), "client_id": f"j{i}", "body": f"joy {i}"}
                )
            await asyncio.gather(
                *(post(http, p, room, f"http {i}") for i in range(15) for p in (lina, ioana))
            )
            for reader in readers:
                frames = await reader.messages(60)
                assert seqs(frames) == list(range(1, 61))
                assert [f["body"] for f in frames if f["author"]["pseudonym"] == "Joy"] == [
                    f"joy {i}" for i in range(30)
                ]
                assert [f for f in await reader.quiet(0.2) if f["type"] == "message"] == []
            for sock in [*readers, writer]:
                await sock.close()

    async def test_resume_returns_exactly_what_was_missed(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        for i in range(5):
            await post(http, ioana, room, f"before {i}")
        sock = await open_socket(server, http, lina)
        await sock.subscribe({room: 0})
        assert seqs(await sock.messages(5)) == [1, 2, 3, 4, 5]
        await sock.close()
        for i in range(7):
            await post(http, ioana, room, f"while away {i}")
        sock = await open_socket(server, http, lina)
        await sock.subscribe({room: 5})
        missed = await sock.messages(7)
        assert seqs(missed) == list(range(6, 13))
        assert [m["body"] for m in missed] == [f"while away {i}" for i in range(7)]
        await post(http, ioana, room, "live again")
        live = await sock.messages(1)
        assert seqs(live) == [13]
        assert [f for f in await sock.quiet(0.2) if f["type"] == "message"] == []
        await sock.close()

    async def test_resume_replays_edits_and_deletions_made_while_away(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        for i in range(4):
            await post(http, ioana, room, f"message {i}")
        await http.patch(
            f"/api/rooms/{room}/messages/1", json={"body": "edited before"}, headers=ioana.auth
        )
        sock = await open_socket(server, http, lina)
        await sock.send({"type": "subscribe", "rooms": {str(room): 0}})
        subscribed = await sock.recv_type("subscribed")
        mark = subscribed["server_time"]
        assert seqs(await sock.messages(4)) == [1, 2, 3, 4]
        await sock.close()
        edited = await http.patch(
            f"/api/rooms/{room}/messages/2", json={"body": "fixed a typo"}, headers=ioana.auth
        )
        assert edited.status_code == 200
        deleted = await http.delete(f"/api/rooms/{room}/messages/3", headers=ioana.auth)
        assert deleted.status_code == 200
        await post(http, ioana, room, "new while away")

        sock = await open_socket(server, http, lina)
        await sock.send({"type": "subscribe", "rooms": {str(room): 4}, "changes_since": mark})
        frames = await sock.quiet(0.5)
        updates = [f for f in frames if f["type"] == "message_updated"]
        # The two changes made while away arrive, as they are now. The edit made just before
        # her mark comes again too: the server looks a few seconds further back, so clocks
        # apart between app processes lose nothing (a repeated update is harmless).
        assert [(u["seq"], u["body"], u["deleted"]) for u in updates] == [
            (1, "edited before", False),
            (2, "fixed a typo", False),
            (3, "", True),
        ]
        assert seqs([f for f in frames if f["type"] == "message"]) == [5]
        # Without a mark nothing is replayed (older clients keep working).
        await sock.close()
        sock = await open_socket(server, http, lina)
        await sock.subscribe({room: 5})
        assert [f for f in await sock.quiet(0.3) if f["type"] == "message_updated"] == []
        await sock.close()

    async def test_too_far_behind_is_told_to_page_over_http(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(ws_backlog_limit=10)
        async with httpx.AsyncClient(base_url=server.url) as http:
            ioana, lina, _ = await people(app, http)
            room = await make_room(http, ioana)
            await join(http, lina, room)
            for i in range(15):
                await post(http, ioana, room, f"m{i}")
            sock = await open_socket(server, http, lina)
            await sock.send({"type": "subscribe", "rooms": {str(room): 2}})
            assert (await sock.recv_type("subscribed"))["head_seq"] == 15
            behind = await sock.recv_type("too_far_behind")
            assert (behind["from_seq"], behind["to_seq"]) == (3, 15)
            page = await http.get(
                f"/api/rooms/{room}/messages", params={"after": 2, "limit": 50}, headers=lina.auth
            )
            assert [m["seq"] for m in page.json()] == list(range(3, 16))
            await post(http, ioana, room, "live")
            assert seqs(await sock.messages(1)) == [16]
            await sock.close()

    async def test_resending_a_client_id_makes_no_second_message(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        sock = await open_socket(server, http, lina)
        await sock.subscribe({room: 0})
        frame = {"type": "send", "room_id": str(room), "client_id": "c-1", "body": "hello"}
        await sock.send(frame)
        await sock.send(frame)
        frames = await sock.quiet(0.5)
        first, second = (f for f in frames if f["type"] == "ack")
        assert first["seq"] == second["seq"] == 1
        assert (first["duplicate"], second["duplicate"]) == (False, True)
        assert seqs([f for f in frames if f["type"] == "message"]) == [1]
        history = await http.get(f"/api/rooms/{room}/messages", headers=lina.auth)
        assert [m["body"] for m in history.json()] == ["hello"]
        await sock.close()

    async def test_a_content_warning_travels_with_the_message(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        sock = await open_socket(server, http, lina)
        await sock.subscribe({room: 0})
        await sock.send(
            {
                "type": "send",
                "room_id": str(room),
                "client_id": "cw",
                "body": "what I lived through",
                "content_warning": "violence",
            }
        )
        (message,) = await sock.messages(1)
        assert (message["body"], message["content_warning"]) == ("what I lived through", "violence")
        await sock.send(
            {
                "type": "send",
                "room_id": str(room),
                "client_id": "cw2",
                "body": "x",
                "content_warning": "w" * 81,
            }
        )
        error = await sock.recv_type("error")
        assert error["code"] == "invalid_frame"
        assert "content_warning" in error["fields"]
        await sock.close()


class TestAccessOnOpenConnections:
    async def test_cross_room_subscription_is_refused(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _joy = await people(app, http)
        private = await make_room(http, ioana, kind="working_group", name="Roots planning")
        sock = await open_socket(server, http, lina)
        await sock.send({"type": "subscribe", "rooms": {str(private): 0, str(uuid.uuid4()): 0}})
        refusals = [await sock.recv_type("error"), await sock.recv_type("error")]
        assert {r["code"] for r in refusals} == {"not_found"}
        await post(http, ioana, private, "only for the group")
        assert [f for f in await sock.quiet(0.3) if f["type"] == "message"] == []
        await sock.send(
            {"type": "send", "room_id": str(private), "client_id": "x", "body": "let me in"}
        )
        assert (await sock.recv_type("error"))["code"] == "not_found"
        await sock.close()

    async def test_removed_member_stops_receiving_and_both_sockets_close(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        phone = await open_socket(server, http, lina)
        laptop = await open_socket(server, http, lina)
        for sock in (phone, laptop):
            await sock.subscribe({room: 0})
        started = time.monotonic()
        removed = await http.post(
            f"/api/rooms/{room}/removals",
            json={"account_id": str(lina.id), "reason": "asked members for their addresses"},
            headers=ioana.auth,
        )
        assert removed.status_code == 204
        await post(http, ioana, room, "after her removal")
        for sock in (phone, laptop):
            frames = await sock.drain()
            assert sock.ws.close_code == CLOSE_ACCESS_CHANGED
            assert {"type": "removed", "room_id": str(room), "reason": "removed"} in frames
            assert [f for f in frames if f["type"] == "message"] == []
        assert time.monotonic() - started < 5
        sock = await open_socket(server, http, lina)
        await sock.send({"type": "subscribe", "rooms": {str(room): 0}})
        assert (await sock.recv_type("error"))["code"] == "not_found"
        await sock.close()

    async def test_logout_everywhere_closes_open_sockets_within_seconds(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        sockets = [await open_socket(server, http, lina) for _ in range(2)]
        for sock in sockets:
            await sock.subscribe({room: 0})
        started = time.monotonic()
        assert (
            await http.post("/api/auth/logout-everywhere", headers=lina.auth)
        ).status_code == 204
        for sock in sockets:
            assert await sock.close_code(timeout=5) == CLOSE_UNAUTHENTICATED
        assert time.monotonic() - started < 5

    async def test_restricted_member_is_cut_off_within_seconds(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        sockets = [await open_socket(server, http, lina) for _ in range(2)]
        for sock in sockets:
            await sock.subscribe({room: 0})
        started = time.monotonic()
        async with app.state.db.session() as session:
            for grant in await auth_service.list_role_grants(session, lina.id):
                await auth_service.revoke_role(
                    session, actor_id=ioana.id, account_id=lina.id, grant_id=grant.id
                )
        for sock in sockets:
            assert await sock.close_code(timeout=5) == CLOSE_ACCESS_CHANGED
        assert time.monotonic() - started < 5
        # Her next socket cannot subscribe either.
        sock = await open_socket(server, http, lina)
        await sock.send({"type": "subscribe", "rooms": {str(room): 0}})
        assert (await sock.recv_type("error"))["code"] == "not_found"
        await sock.close()


class TestLimits:
    async def test_many_sockets_subscribing_at_once_with_stale_sessions_all_get_through(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        # After a restart every client subscribes again at the same moment, and sessions not
        # seen for a while are noted as seen. That note once opened a second database session
        # inside the first, and twelve sockets starved a pool of five for 30 s.
        server = await start_server(ws_max_connections_per_account=16)
        async with httpx.AsyncClient(base_url=server.url) as http:
            ioana, _, _ = await people(app, http)
            room = await make_room(http, ioana)
            sockets = [await open_socket(server, http, ioana) for _ in range(12)]
            long_ago = datetime.now(UTC) - timedelta(minutes=30)
            async with app.state.db.session() as session:
                await session.exec(
                    update(AuthSession)
                    .where(col(AuthSession.account_id) == ioana.id)
                    .values(last_seen_at=long_ago)
                )
            started = time.monotonic()
            await asyncio.gather(*(s.subscribe({room: 0}) for s in sockets))
            assert time.monotonic() - started < 5
            # The note is written after the read, by a task of its own.
            deadline = time.monotonic() + 5
            while True:
                async with app.state.db.session(write=False) as session:
                    seen = (
                        await session.exec(
                            select(AuthSession.last_seen_at).where(
                                col(AuthSession.account_id) == ioana.id
                            )
                        )
                    ).all()
                if min(seen) > long_ago or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            assert min(seen) > long_ago
            for s in sockets:
                await s.close()

    async def test_oversized_frame_closes_with_1009(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        _, lina, _ = await people(app, http)
        sock = await open_socket(server, http, lina)
        await sock.ws.send("x" * (70 * 1024))
        assert await sock.close_code() == CLOSE_TOO_BIG

    async def test_the_handler_checks_size_even_behind_a_lenient_server(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(ws_max_frame_bytes=2048)
        server_limit = server.server.config.ws_max_size
        assert server_limit == 2048
        server.server.config.ws_max_size = 1 << 20  # a proxy or server left at its default
        async with httpx.AsyncClient(base_url=server.url) as http:
            _, lina, _ = await people(app, http)
            sock = await open_socket(server, http, lina)
            await sock.ws.send(json.dumps({"type": "ping", "pad": "x" * 4096}))
            assert await sock.close_code() == CLOSE_TOO_BIG

    async def test_flood_gets_rate_limited_error_frames_then_a_close(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(ws_frames_per_second=2, ws_frame_burst=5)
        async with httpx.AsyncClient(base_url=server.url) as http:
            _, lina, _ = await people(app, http)
            sock = await open_socket(server, http, lina)
            for _ in range(12):
                await sock.send({"type": "ping"})
            frames = [await sock.recv() for _ in range(12)]
            kinds = [f["type"] for f in frames]
            assert kinds.count("pong") == 5
            limited = [f for f in frames if f["type"] == "error"]
            assert len(limited) == 7
            assert all(f["code"] == "rate_limited" and f["retry_after_ms"] > 0 for f in limited)
            for _ in range(80):
                await sock.send({"type": "ping"})
            assert await sock.close_code() == CLOSE_FLOOD

    async def test_bad_frames_get_clear_errors(
        self, app: FastAPI, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, http)
        room = await make_room(http, ioana)
        await join(http, lina, room)
        sock = await open_socket(server, http, lina)
        await sock.ws.send("{not json")
        assert (await sock.recv_type("error"))["code"] == "invalid_json"
        await sock.send({"type": "dance"})
        assert (await sock.recv_type("error"))["code"] == "invalid_frame"
        await sock.send(
            {"type": "send", "room_id": str(room), "client_id": "long", "body": "x" * 4001}
        )
        error = await sock.recv_type("error")
        assert error["code"] == "invalid_frame"
        assert "4000" in error["fields"]["body"]
        assert error["client_id"] == "long"
        await sock.close()

    async def test_slow_consumer_is_dropped_without_slowing_the_room(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(ws_send_queue_frames=8, send_buffer=16384)
        async with httpx.AsyncClient(base_url=server.url) as http:
            ioana, lina, joy = await people(app, http)
            room = await make_room(http, ioana)
            await join(http, lina, room)
            await join(http, joy, room)
            fast = await open_socket(server, http, joy)
            await fast.subscribe({room: 0})
            # Lina's client reads nothing: a tiny receive buffer and a one-frame queue.
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect(("127.0.0.1", server.port))
            slow = await open_socket(server, http, lina, sock=raw, max_queue=1)
            await slow.subscribe({room: 0})
            hub = server.app.state.hub
            body = "words " * 600
            started = time.monotonic()
            received = 0
            for i in range(60):
                await post(http, ioana, room, f"{i} {body}")
                received += len(await fast.messages(1, timeout=2))
            assert received == 60
            assert time.monotonic() - started < 30
            assert hub.connection_count(lina.id) == 0
            had = [f["seq"] for f in await slow.drain(timeout=10) if f["type"] == "message"]
            assert slow.ws.close_code == CLOSE_SLOW_CONSUMER
            assert had == list(range(1, len(had) + 1))
            assert len(had) < 60
            # She resumes from what she had and gets exactly the rest.
            resumed = await open_socket(server, http, lina)
            await resumed.subscribe({room: len(had)})
            assert seqs(await resumed.messages(60 - len(had))) == list(range(len(had) + 1, 61))
            await resumed.close()
            await fast.close()


class TestDirectWrites:
    """Room messages are written straight to the socket's transport under uvicorn's
    websockets-sansio protocol, and through ASGI otherwise (docs/decisions/0010)."""

    def test_a_frame_built_once_is_the_frame_websockets_would_send(self) -> None:
        text = json.dumps({"type": "message", "body": "ça va? " + "x" * 70_000})
        protocol = ServerProtocol()
        protocol.state = State.OPEN
        protocol.send_text(text.encode())
        assert b"".join(protocol.data_to_send()) == text_frame(text)

    async def test_the_installed_uvicorn_takes_the_direct_path(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        # If this fails after upgrading uvicorn, Wire.of no longer recognises its protocol
        # object: messages still arrive, through ASGI, but fan-out is slower (bench/rooms).
        server = await start_server()
        async with httpx.AsyncClient(base_url=server.url) as http:
            ioana, lina, _ = await people(app, http)
            room = await make_room(http, ioana)
            await join(http, lina, room)
            reader = await open_socket(server, http, lina)
            await reader.subscribe({room: 0})
            (connection,) = server.app.state.hub.all_connections()
            assert connection.wire is not None
            await post(http, ioana, room, "written straight to the socket")
            (message,) = await reader.messages(1)
            assert message["body"] == "written straight to the socket"
            assert message["seq"] == 1
            await reader.close()

    async def test_with_compression_messages_go_through_asgi_in_order(
        self, app: FastAPI, start_server: StartServer
    ) -> None:
        server = await start_server(deflate=True)
        async with httpx.AsyncClient(base_url=server.url) as http:
            ioana, lina, _ = await people(app, http)
            room = await make_room(http, ioana)
            await join(http, lina, room)
            reader = await open_socket(server, http, lina, compression="deflate")
            await reader.subscribe({room: 0})
            (connection,) = server.app.state.hub.all_connections()
            assert connection.wire is None
            for i in range(5):
                await post(http, ioana, room, f"compressed {i}")
            got = await reader.messages(5)
            assert [m["body"] for m in got] == [f"compressed {i}" for i in range(5)]
            assert seqs(got) == [1, 2, 3, 4, 5]
            await reader.close()
