"""Mentions in rooms (by each member's notify level) and group sessions tomorrow."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.core.time import frozen_clock
from backend.notification import tasks as notification_tasks
from tests.backend.notification.conftest import feed, kinds_of
from tests.backend.room.conftest import join, make_room, post
from tests.conftest import Person, person_with


async def set_level(
    client: httpx.AsyncClient, person: Person, room_id: uuid.UUID, level: str
) -> None:
    response = await client.put(
        f"/api/rooms/{room_id}/notify-level", json={"level": level}, headers=person.auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["notify_level"] == level


class TestMentions:
    async def test_who_hears_a_mention(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        ioana = await person_with(app, client, "Ioana", Role.FACILITATOR, Role.ACTIVE_MEMBER)
        lina = await person_with(app, client, "Lina", Role.MEMBER)
        joy = await person_with(app, client, "Joy", Role.MEMBER)
        mira = await person_with(app, client, "Mira", Role.MEMBER)
        farah = await person_with(app, client, "Farah Noor", Role.MEMBER)
        outsider = await person_with(app, client, "Noor", Role.MEMBER)
        room_id = await make_room(client, ioana, name="Tuesday circle")
        for person in (lina, joy, mira, farah):
            await join(client, person, room_id)
        await set_level(client, lina, room_id, "mentions")
        await set_level(client, joy, room_id, "none")
        blocked = await client.post(
            "/api/blocks", json={"account_id": str(ioana.id)}, headers=mira.auth
        )
        assert blocked.status_code == 201

        message = await post(
            client,
            ioana,
            room_id,
            "@lina @Joy @Mira @Farah Noor @Noor @Ioana see you at six",
        )
        [item] = (await feed(client, lina))["items"]
        assert item["text"] == "Ioana mentioned you in Tuesday circle."
        assert item["link"] == f"/rooms/{room_id}?seq={message['seq']}"
        # Level "all" hears mentions too; a whole pseudonym with a space is matched.
        assert await kinds_of(client, farah) == ["room.mention"]
        # "none" hears nothing; a block stands between Mira and Ioana; Noor is not in the
        # room (nobody learns she exists through it); Ioana named herself.
        for person in (joy, mira, outsider, ioana):
            assert await kinds_of(client, person) == []

    async def test_no_mention_without_the_whole_name_nor_from_a_resend(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        ioana = await person_with(app, client, "Ioana", Role.FACILITATOR, Role.ACTIVE_MEMBER)
        lina = await person_with(app, client, "Lina", Role.MEMBER)
        room_id = await make_room(client, ioana)
        await join(client, lina, room_id)
        await post(client, ioana, room_id, "write to @linaxx or lina@example")
        await post(client, ioana, room_id, "thanks @Lina!", client_id="once")
        await post(client, ioana, room_id, "thanks @Lina!", client_id="once")
        assert await kinds_of(client, lina) == ["room.mention"]


class TestSessionTomorrow:
    async def test_members_of_the_room_hear_once_within_24_hours(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        ioana = await person_with(app, client, "Ioana", Role.FACILITATOR, Role.ACTIVE_MEMBER)
        lina = await person_with(app, client, "Lina", Role.MEMBER)
        other = await person_with(app, client, "Joy", Role.MEMBER)
        room_id = await make_room(client, ioana, name="Tuesday circle")
        await join(client, lina, room_id)
        starts = (datetime.now(UTC) + timedelta(days=3)).replace(
            hour=17, minute=0, second=0, microsecond=0
        )
        created = await client.post(
            f"/api/rooms/{room_id}/sessions",
            json={
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "topic": "Sharing circle",
            },
            headers=ioana.auth,
        )
        assert created.status_code == 201, created.text

        async def run_at(moment: datetime) -> int:
            with frozen_clock(moment):
                async with app.state.db.session() as session:
                    return await notification_tasks.remind_sessions(session)

        assert await run_at(starts - timedelta(hours=25)) == 0
        assert await run_at(starts - timedelta(hours=23)) == 2  # Ioana and Lina
        assert await run_at(starts - timedelta(hours=1)) == 0
        [item] = (await feed(client, lina))["items"]
        assert item["text"] == f"Group session in Tuesday circle on {starts:%d/%m/%Y} 17:00."
        assert await kinds_of(client, other) == []
