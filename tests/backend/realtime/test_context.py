"""The runtime context each database carries: parts found through the session, never
through a registry keyed by URL, and a missing screen stops a message instead of letting
it through unscreened."""

import uuid

import httpx
from fastapi import FastAPI
from sqlmodel import col, func, select

from backend.core.context import RuntimeContext, Slot, context_of
from backend.main import create_app
from backend.realtime.bus import BROKER
from backend.room import screening
from backend.room.models import RoomMessage
from tests.backend.room.conftest import join, make_room, people


async def stored_messages(app: FastAPI, room_id: uuid.UUID) -> int:
    async with app.state.db.session(write=False) as session:
        statement = select(func.count()).where(col(RoomMessage.room_id) == room_id)
        return int((await session.exec(statement)).one())


class TestScreeningFailsClosed:
    async def test_with_no_screen_a_message_is_refused_and_nothing_is_stored(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, client)
        room = await make_room(client, ioana)
        await join(client, lina, room)
        app.state.db.context.withdraw(screening.SCREEN)
        response = await client.post(
            f"/api/rooms/{room}/messages",
            json={"client_id": "c1", "body": "call me on 0722 123 456"},
            headers=lina.auth,
        )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert "not sent" in response.json()["error"]["message"]
        assert await stored_messages(app, room) == 0

    async def test_with_the_screen_the_same_message_is_stored(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        ioana, lina, _ = await people(app, client)
        room = await make_room(client, ioana)
        await join(client, lina, room)
        response = await client.post(
            f"/api/rooms/{room}/messages",
            json={"client_id": "c1", "body": "see you on Tuesday"},
            headers=lina.auth,
        )
        assert response.status_code == 201, response.text
        assert await stored_messages(app, room) == 1


class TestOneContextPerDatabase:
    async def test_two_apps_on_one_url_keep_their_own_parts(self, app: FastAPI) -> None:
        other = create_app(app.state.settings)
        try:
            mine = app.state.db.context.require(BROKER)
            theirs = other.state.db.context.require(BROKER)
            assert mine is app.state.runtime.broker
            assert theirs is other.state.runtime.broker
            assert mine is not theirs
            async with other.state.db.session(write=False) as session:
                assert context_of(session).get(BROKER) is theirs
        finally:
            await other.state.runtime.close()
        # Closing the other app withdrew nothing from this one.
        assert app.state.db.context.get(BROKER) is mine
        assert app.state.db.context.get(screening.SCREEN) is not None

    def test_a_slot_nobody_filled_is_missing(self) -> None:
        context = RuntimeContext()
        slot: Slot[int] = Slot("answer")
        assert context.get(slot) is None
        context.provide(slot, 42)
        assert context.require(slot) == 42
