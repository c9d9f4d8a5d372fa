"""Messages kept no longer than the community decided, per room kind, under injected time."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from backend.auth.capabilities import Role
from backend.core.time import frozen_clock
from backend.privacy import tasks as privacy_tasks
from tests.conftest import Person, grant

RETENTION = "/api/admin/retention"


async def room_with(client: httpx.AsyncClient, owner: Person, kind: str, name: str) -> str:
    response = await client.post(
        "/api/rooms", json={"kind": kind, "name": name}, headers=owner.auth
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def say(client: httpx.AsyncClient, person: Person, room_id: str, text: str) -> None:
    response = await client.post(
        f"/api/rooms/{room_id}/messages",
        json={"client_id": uuid.uuid4().hex, "body": text},
        headers=person.auth,
    )
    assert response.status_code == 201, response.text


async def bodies(client: httpx.AsyncClient, person: Person, room_id: str) -> list[Any]:
    response = await client.get(f"/api/rooms/{room_id}/messages", headers=person.auth)
    return [(m["body"], m["deleted"]) for m in response.json()]


class TestRetentionSettings:
    async def test_admin_sets_days_per_room_kind(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        listed = (await client.get(RETENTION, headers=admin.auth)).json()
        assert {r["room_kind"]: r["days"] for r in listed}["support_group"] is None
        response = await client.put(
            f"{RETENTION}/support_group", json={"days": 30}, headers=admin.auth
        )
        assert response.status_code == 200, response.text
        assert {r["room_kind"]: r["days"] for r in response.json()}["support_group"] == 30
        response = await client.put(
            f"{RETENTION}/support_group", json={"days": None}, headers=admin.auth
        )
        assert {r["room_kind"]: r["days"] for r in response.json()}["support_group"] is None

    async def test_members_cannot(self, client: httpx.AsyncClient, member: Person) -> None:
        response = await client.put(f"{RETENTION}/direct", json={"days": 1}, headers=member.auth)
        assert response.status_code == 403

    async def test_zero_days_is_refused(self, client: httpx.AsyncClient, admin: Person) -> None:
        response = await client.put(f"{RETENTION}/direct", json={"days": 0}, headers=admin.auth)
        assert response.status_code == 422
        assert "days" in response.json()["error"]["fields"]


class TestRetentionTask:
    async def test_old_messages_become_tombstones_in_that_kind_only(
        self, app: Any, client: httpx.AsyncClient, admin: Person, member: Person
    ) -> None:
        await grant(app, member, Role.FACILITATOR)
        start = datetime.now(UTC)
        with frozen_clock(start) as clock:
            group = await room_with(client, member, "support_group", "Tuesday")
            notices = await room_with(client, member, "announcements", "Notices")
            await say(client, member, group, "An old message about the spring walk")
            await say(client, member, notices, "An old announcement about the hall")
            clock.advance(days=20)
            await say(client, member, group, "A newer message about the summer fair")
            response = await client.put(
                f"{RETENTION}/support_group", json={"days": 30}, headers=admin.auth
            )
            assert response.status_code == 200

            clock.advance(days=5)
            assert await privacy_tasks.run_due_work(app.state.db) == {}

            clock.advance(days=6)  # the first message is now 31 days old
            assert await privacy_tasks.run_due_work(app.state.db) == {"support_group": 1}
            assert await bodies(client, member, group) == [
                ("", True),
                ("A newer message about the summer fair", False),
            ]
            # Announcements keep everything: no limit was set for them.
            assert await bodies(client, member, notices) == [
                ("An old announcement about the hall", False)
            ]
            clock.advance(days=20)
            assert await privacy_tasks.run_due_work(app.state.db) == {"support_group": 1}
            assert await bodies(client, member, group) == [("", True), ("", True)]
