"""Her feed over HTTP: paging, unread, read marks, her language, her preferences, erasure."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.notification import producers, service
from backend.notification.models import Notification
from tests.backend.notification.conftest import feed
from tests.conftest import Person, person_with


@pytest.fixture
async def lina(app: FastAPI, client: httpx.AsyncClient) -> Person:
    return await person_with(app, client, "Lina", Role.MEMBER)


@pytest.fixture
async def joy(app: FastAPI, client: httpx.AsyncClient) -> Person:
    return await person_with(app, client, "Joy", Role.MEMBER)


async def vote_opened(app: FastAPI, *people: Person, applicant: str = "Esther") -> None:
    async with app.state.db.session() as session:
        await producers.vote_opened(
            session,
            voters=[p.id for p in people],
            applicant=applicant,
            vote_id=uuid.uuid4(),
            deadline=datetime(2030, 5, 1, 18, 30, tzinfo=UTC),
        )


class TestPaging:
    async def test_newest_first_pages_and_unread(
        self, app: FastAPI, client: httpx.AsyncClient, lina: Person, joy: Person
    ) -> None:
        for name in ("A", "B", "C", "D", "E"):
            await vote_opened(app, lina, applicant=name)
        await vote_opened(app, joy)
        first = await feed(client, lina, limit=2)
        assert [i["seq"] for i in first["items"]] == [5, 4]
        assert (first["unread"], first["head_seq"], first["next_before_seq"]) == (5, 5, 4)
        second = await feed(client, lina, limit=2, before_seq=4)
        assert [i["seq"] for i in second["items"]] == [3, 2]
        last = await feed(client, lina, limit=2, before_seq=2)
        assert [i["seq"] for i in last["items"]] == [1]
        assert last["next_before_seq"] is None
        # Her sequence is hers: Joy's first item is 1 as well.
        assert [i["seq"] for i in (await feed(client, joy))["items"]] == [1]

    async def test_mark_read_one_then_all_up_to_what_she_saw(
        self, app: FastAPI, client: httpx.AsyncClient, lina: Person, joy: Person
    ) -> None:
        for _ in range(4):
            await vote_opened(app, lina)
        await vote_opened(app, joy)
        read = await client.post("/api/notifications/2/read", headers=lina.auth)
        assert read.status_code == 200
        assert read.json()["read_at"] is not None
        unread = (await client.get("/api/notifications/unread", headers=lina.auth)).json()
        assert unread == {"unread": 3, "head_seq": 4}
        marked = await client.post(
            "/api/notifications/read-all", json={"up_to_seq": 3}, headers=lina.auth
        )
        assert marked.json() == {"marked": 2, "unread": 1}
        only_unread = await feed(client, lina, unread_only="true")
        assert [i["seq"] for i in only_unread["items"]] == [4]
        # Joy's items are untouched; a seq that is not hers is simply not found.
        assert (await feed(client, joy))["unread"] == 1
        assert (await client.post("/api/notifications/9/read", headers=joy.auth)).status_code == 404
        everything = await client.post("/api/notifications/read-all", json={}, headers=lina.auth)
        assert everything.json() == {"marked": 1, "unread": 0}


class TestLanguage:
    async def test_a_language_change_rerenders_old_items(
        self, app: FastAPI, client: httpx.AsyncClient, lina: Person
    ) -> None:
        await vote_opened(app, lina)
        async with app.state.db.session() as session:
            await producers.vote_outcome(
                session,
                applicant_id=uuid.uuid4(),
                roots=[lina.id],
                applicant="Esther",
                application_id=uuid.uuid4(),
                vote_id=uuid.uuid4(),
                outcome="rejected",
                tally=(1, 3, 0),
            )
        texts = [i["text"] for i in (await feed(client, lina))["items"]]
        assert texts == [
            "The vote on Esther has closed: not approved (1 yes, 3 no, 0 abstaining).",
            "A Roots vote on Esther is open until 01/05/2030 18:30.",
        ]
        changed = await client.patch(
            "/api/me", json={"language": "fr", "time_zone": "Europe/Paris"}, headers=lina.auth
        )
        assert changed.status_code == 200, changed.text
        texts = [i["text"] for i in (await feed(client, lina))["items"]]
        assert texts == [
            "Le vote sur Esther est clos : non acceptée (1 pour, 3 contre, 0 abstentions).",
            "Un vote des Roots sur Esther est ouvert jusqu'au 01/05/2030 20:30.",
        ]
        for language in ("it", "es", "ro"):
            await client.patch("/api/me", json={"language": language}, headers=lina.auth)
            for item in (await feed(client, lina))["items"]:
                assert "Esther" in item["text"]
                assert "{" not in item["text"]


class TestPreferences:
    async def test_a_kind_switched_off_is_not_kept_safety_kinds_stay_on(
        self, app: FastAPI, client: httpx.AsyncClient, lina: Person, joy: Person
    ) -> None:
        response = await client.put(
            "/api/notifications/preferences",
            json={"disabled_kinds": ["vote.opened"]},
            headers=lina.auth,
        )
        assert response.status_code == 200, response.text
        kinds = {k["kind"]: k for k in response.json()["kinds"]}
        assert kinds["vote.opened"]["enabled"] is False
        assert kinds["card.revoked"] == {
            "kind": "card.revoked",
            "enabled": True,
            "can_switch_off": False,
        }
        await vote_opened(app, lina, joy)
        assert (await feed(client, lina))["items"] == []
        assert len((await feed(client, joy))["items"]) == 1

        for locked in ("card.revoked", "safety.restriction_applied"):
            refused = await client.put(
                "/api/notifications/preferences",
                json={"disabled_kinds": [locked]},
                headers=lina.auth,
            )
            assert refused.status_code == 422
        unknown = await client.put(
            "/api/notifications/preferences",
            json={"disabled_kinds": ["gossip"]},
            headers=lina.auth,
        )
        assert unknown.status_code == 422
        async with app.state.db.session() as session:
            await producers.card_revoked(session, account_id=lina.id)
        assert [i["kind"] for i in (await feed(client, lina))["items"]] == ["card.revoked"]

    async def test_quiet_hours_need_both_ends(
        self, client: httpx.AsyncClient, lina: Person
    ) -> None:
        response = await client.put(
            "/api/notifications/preferences",
            json={"quiet_start_minute": 22 * 60},
            headers=lina.auth,
        )
        assert response.status_code == 422


class TestQuietRules:
    PREFS = service.Preferences(frozenset(), 22 * 60, 7 * 60, None)

    @pytest.mark.parametrize(
        ("utc_time", "zone", "quiet"),
        [
            ("2030-05-01T21:30:00", "UTC", False),
            ("2030-05-01T22:00:00", "UTC", True),
            ("2030-05-02T06:59:00", "UTC", True),
            ("2030-05-02T07:00:00", "UTC", False),
            # 20:30 UTC is 22:30 in Rome (summer time): quiet for her.
            ("2030-05-01T20:30:00", "Europe/Rome", True),
            # 05:30 UTC is 07:30 in Rome: awake.
            ("2030-05-02T05:30:00", "Europe/Rome", False),
        ],
    )
    def test_quiet_hours_are_in_her_time_zone(self, utc_time: str, zone: str, quiet: bool) -> None:
        now = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
        assert self.PREFS.is_quiet(now, zone) is quiet

    def test_pause_until_a_time(self) -> None:
        now = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
        paused = service.Preferences(frozenset(), None, None, now + timedelta(days=3))
        assert paused.is_quiet(now, "UTC") is True
        assert paused.is_quiet(now + timedelta(days=3), "UTC") is False

    def test_a_window_within_one_day(self) -> None:
        prefs = service.Preferences(frozenset(), 13 * 60, 14 * 60, None)
        assert prefs.is_quiet(datetime(2030, 5, 1, 13, 30, tzinfo=UTC), "UTC") is True
        assert prefs.is_quiet(datetime(2030, 5, 1, 14, 30, tzinfo=UTC), "UTC") is False


class TestTransactions:
    async def test_a_decision_rolled_back_leaves_no_item(self, app: FastAPI, lina: Person) -> None:
        async def decide_then_fail() -> None:
            async with app.state.db.session() as session:
                await producers.card_issued(session, account_id=lina.id)
                raise RuntimeError("the decision failed after the notice was made")

        with pytest.raises(RuntimeError):
            await decide_then_fail()
        async with app.state.db.session(write=False) as session:
            assert await service.head_of(session, lina.id) == 0
            assert await service.list_feed(session, lina.id) == []

    async def test_a_reminder_with_the_same_key_is_given_once(
        self, app: FastAPI, lina: Person
    ) -> None:
        for _ in range(2):
            async with app.state.db.session() as session:
                await producers.session_tomorrow(
                    session,
                    recipients=[lina.id],
                    room_id=uuid.uuid4(),
                    room_name="Tuesday circle",
                    session_id=uuid.UUID(int=7),
                    starts_at=datetime(2030, 5, 1, 18, 0, tzinfo=UTC),
                )
        async with app.state.db.session(write=False) as session:
            assert len(await service.list_feed(session, lina.id)) == 1


class TestErasure:
    async def test_delete_for_account_removes_hers_only(
        self, app: FastAPI, client: httpx.AsyncClient, lina: Person, joy: Person
    ) -> None:
        await vote_opened(app, lina, joy)
        await client.put(
            "/api/notifications/preferences",
            json={"disabled_kinds": ["room.mention"]},
            headers=lina.auth,
        )
        async with app.state.db.session() as session:
            assert await service.delete_for_account(session, lina.id) == 1
        async with app.state.db.session(write=False) as session:
            assert await service.list_feed(session, lina.id) == []
            assert await service.head_of(session, lina.id) == 0
            assert (await service.get_preferences(session, lina.id)).disabled_kinds == frozenset()
            assert [n.seq for n in await service.list_feed(session, joy.id)] == [1]
            assert isinstance((await service.list_feed(session, joy.id))[0], Notification)
