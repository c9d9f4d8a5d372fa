"""Rooms, membership, messages and moderation over the HTTP API (in-process ASGI client)."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from backend.auth.capabilities import Role
from backend.core.audit import AuditEntry
from backend.core.time import frozen_clock
from backend.room import group_sessions as room_group_sessions
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.room.models import RoomKind
from tests.backend.room.conftest import join, make_room, people, post
from tests.conftest import Person, person_with, register


@pytest.fixture
async def cast(app: FastAPI, client: httpx.AsyncClient) -> tuple[Person, Person, Person]:
    return await people(app, client)


async def rooms_of(client: httpx.AsyncClient, person: Person) -> dict[str, dict[str, object]]:
    response = await client.get("/api/rooms", headers=person.auth)
    assert response.status_code == 200
    return {r["name"]: r for r in response.json()}


class TestRoomRules:
    @pytest.mark.parametrize(
        ("roles", "kind", "allowed"),
        [
            ((Role.FACILITATOR,), "support_group", True),
            ((Role.MEMBER,), "support_group", False),
            ((Role.ACTIVE_MEMBER,), "support_group", False),
            ((Role.FACILITATOR,), "working_group", True),
            ((Role.SAFEGUARDING,), "announcements", True),
            ((Role.FACILITATOR,), "announcements", True),
            ((Role.MEMBER,), "announcements", False),
            ((Role.ADMIN,), "support_group", False),
        ],
    )
    async def test_who_opens_which_room(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        roles: tuple[Role, ...],
        kind: str,
        allowed: bool,
    ) -> None:
        person = await person_with(app, client, "Someone", *roles)
        response = await client.post(
            "/api/rooms", json={"kind": kind, "name": "A room"}, headers=person.auth
        )
        assert response.status_code == (201 if allowed else 403), response.text

    async def test_mentoring_and_direct_rooms_are_not_opened_by_hand(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        for kind in ("mentoring", "direct", "active_members"):
            response = await client.post(
                "/api/rooms", json={"kind": kind, "name": "x"}, headers=ioana.auth
            )
            assert response.status_code == 422

    async def test_members_join_support_groups_but_not_working_groups(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana, "support_group", "Circle")
        working = await make_room(client, ioana, "working_group", "Outreach plans")
        joinable = await client.get("/api/rooms/joinable", headers=lina.auth)
        assert [r["name"] for r in joinable.json()] == ["Circle", "Welcome"]
        assert (await client.post(f"/api/rooms/{group}/join", headers=lina.auth)).status_code == 200
        refused = await client.post(f"/api/rooms/{working}/join", headers=lina.auth)
        assert refused.status_code == 404
        # Same answer as a room that does not exist: nothing to probe.
        absent = await client.post(f"/api/rooms/{uuid.uuid4()}/join", headers=lina.auth)
        assert absent.json() == refused.json()

    async def test_a_newcomer_takes_part_only_once_she_is_a_member(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person], newcomer: Person
    ) -> None:
        ioana, _, _ = cast
        group = await make_room(client, ioana)
        joinable = (await client.get("/api/rooms/joinable", headers=newcomer.auth)).json()
        assert [r["kind"] for r in joinable] == ["welcome"]
        response = await client.post(f"/api/rooms/{group}/join", headers=newcomer.auth)
        assert response.status_code == 404

    async def test_only_facilitators_and_moderators_post_announcements(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        noor = await person_with(app, client, "Noor", Role.SAFEGUARDING)
        board = await make_room(client, noor, "announcements", "Notices")
        await join(client, lina, board)
        await join(client, ioana, board)
        refused = await client.post(
            f"/api/rooms/{board}/messages",
            json={"client_id": "a", "body": "hello all"},
            headers=lina.auth,
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "announcements_only"
        await post(client, ioana, board, "Group moves to Thursday")
        await post(client, noor, board, "New safety guide")
        history = await client.get(f"/api/rooms/{board}/messages", headers=lina.auth)
        assert [m["body"] for m in history.json()] == [
            "Group moves to Thursday",
            "New safety guide",
        ]

    async def test_members_see_each_other_by_pseudonym_only_inside_rooms(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        members = await client.get(f"/api/rooms/{group}/members", headers=lina.auth)
        assert members.status_code == 200
        assert {m["pseudonym"] for m in members.json()} == {"Ioana", "Lina"}
        assert set(members.json()[0]) == {"account_id", "pseudonym", "role", "state"}
        outside = await client.get(f"/api/rooms/{group}/members", headers=joy.auth)
        assert outside.status_code == 404

    async def test_community_moderators_do_not_read_private_rooms(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        noor = await person_with(app, client, "Noor", Role.SAFEGUARDING)
        async with app.state.db.session() as session:
            mentoring = await room_rooms.open_mentoring_room(
                session, mentor_id=ioana.id, mentee_id=lina.id
            )
        group = await make_room(client, ioana)
        assert (
            await client.get(f"/api/rooms/{group}/messages", headers=noor.auth)
        ).status_code == 200
        private = await client.get(f"/api/rooms/{mentoring.id}/messages", headers=noor.auth)
        assert private.status_code == 404


class TestDirectConversations:
    async def test_opens_only_when_the_other_side_accepts(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        asked = await client.post(
            "/api/direct-conversations", json={"account_id": str(joy.id)}, headers=lina.auth
        )
        assert asked.status_code == 201
        room = asked.json()
        assert (room["kind"], room["is_open"]) == ("direct", False)
        early = await client.post(
            f"/api/rooms/{room['id']}/messages",
            json={"client_id": "1", "body": "hi"},
            headers=lina.auth,
        )
        assert early.json()["error"]["code"] == "not_open"
        invited = (await rooms_of(client, joy))[room["name"]]
        assert invited["my_state"] == "invited"
        accepted = await client.post(f"/api/rooms/{room['id']}/accept", headers=joy.auth)
        assert accepted.json()["is_open"] is True
        await post(client, lina, uuid.UUID(room["id"]), "hi Joy")
        # Asking again finds the same conversation.
        again = await client.post(
            "/api/direct-conversations", json={"account_id": str(joy.id)}, headers=lina.auth
        )
        assert again.json()["id"] == room["id"]

    async def test_declined_conversation_disappears(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        asked = await client.post(
            "/api/direct-conversations", json={"account_id": str(joy.id)}, headers=lina.auth
        )
        room_id = asked.json()["id"]
        assert (
            await client.post(f"/api/rooms/{room_id}/decline", headers=joy.auth)
        ).status_code == 204
        assert (await client.get(f"/api/rooms/{room_id}", headers=lina.auth)).status_code == 404

    async def test_only_with_someone_she_shares_a_room_with(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        _, lina, joy = cast
        response = await client.post(
            "/api/direct-conversations", json={"account_id": str(joy.id)}, headers=lina.auth
        )
        assert response.status_code == 404

    async def test_impossible_when_either_blocked_the_other(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        await client.post("/api/blocks", json={"account_id": str(lina.id)}, headers=joy.auth)
        for asker, other in ((lina, joy), (joy, lina)):
            response = await client.post(
                "/api/direct-conversations", json={"account_id": str(other.id)}, headers=asker.auth
            )
            assert response.status_code == 404

    async def test_mentor_and_mentee_need_no_acceptance(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        async with app.state.db.session() as session:
            await room_rooms.open_mentoring_room(session, mentor_id=ioana.id, mentee_id=lina.id)
        opened = await client.post(
            "/api/direct-conversations", json={"account_id": str(lina.id)}, headers=ioana.auth
        )
        assert opened.json()["is_open"] is True


class TestMessages:
    async def test_history_pages_before_and_after_a_sequence_number(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        for i in range(12):
            await post(client, ioana, group, f"m{i + 1}")
        url = f"/api/rooms/{group}/messages"
        latest = await client.get(url, params={"limit": 5}, headers=lina.auth)
        assert [m["seq"] for m in latest.json()] == [8, 9, 10, 11, 12]
        older = await client.get(url, params={"before": 8, "limit": 5}, headers=lina.auth)
        assert [m["seq"] for m in older.json()] == [3, 4, 5, 6, 7]
        newer = await client.get(url, params={"after": 9, "limit": 5}, headers=lina.auth)
        assert [m["seq"] for m in newer.json()] == [10, 11, 12]
        bad = await client.get(url, params={"limit": 1000}, headers=lina.auth)
        assert bad.status_code == 422

    async def test_message_size_limit_and_empty_messages(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        group = await make_room(client, ioana)
        url = f"/api/rooms/{group}/messages"
        ok = await client.post(url, json={"client_id": "a", "body": "x" * 4000}, headers=ioana.auth)
        assert ok.status_code == 201
        for body in ("x" * 4001, "   "):
            response = await client.post(
                url, json={"client_id": "b", "body": body}, headers=ioana.auth
            )
            assert response.status_code == 422
            assert "body" in response.json()["error"]["fields"]
        hostile = await client.post(
            url, json={"client_id": "bad id with spaces", "body": "x"}, headers=ioana.auth
        )
        assert hostile.status_code == 422

    async def test_http_resend_is_idempotent(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        group = await make_room(client, ioana)
        url = f"/api/rooms/{group}/messages"
        first = await client.post(url, json={"client_id": "k", "body": "once"}, headers=ioana.auth)
        second = await client.post(url, json={"client_id": "k", "body": "once"}, headers=ioana.auth)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json()["duplicate"] is True
        assert first.json()["message"]["seq"] == second.json()["message"]["seq"]

    async def test_read_markers_and_unread_counts(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana, name="Circle")
        await join(client, lina, group)
        for i in range(4):
            await post(client, ioana, group, f"m{i}")
        assert (await rooms_of(client, lina))["Circle"]["unread"] == 4
        # Her own messages are never unread to her.
        await post(client, lina, group, "mine")
        assert (await rooms_of(client, ioana))["Circle"]["unread"] == 1
        marked = await client.put(
            f"/api/rooms/{group}/read-marker", json={"seq": 3}, headers=lina.auth
        )
        assert marked.json()["last_read_seq"] == 5  # posting moved it to her own message
        assert (await rooms_of(client, lina))["Circle"]["unread"] == 0

    async def test_edits_keep_history_for_moderators(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        message = await post(client, lina, group, "first words")
        url = f"/api/rooms/{group}/messages/{message['seq']}"
        edited = await client.patch(url, json={"body": "better words"}, headers=lina.auth)
        assert edited.json()["body"] == "better words"
        assert edited.json()["edited_at"] is not None
        not_hers = await client.patch(url, json={"body": "mine now"}, headers=joy.auth)
        assert not_hers.status_code == 403
        revisions = await client.get(url + "/revisions", headers=ioana.auth)
        assert [r["body"] for r in revisions.json()] == ["first words"]
        assert (await client.get(url + "/revisions", headers=joy.auth)).status_code == 403

    async def test_author_delete_leaves_a_tombstone(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        message = await post(client, lina, group, "oops")
        deleted = await client.delete(
            f"/api/rooms/{group}/messages/{message['seq']}", headers=lina.auth
        )
        assert (deleted.json()["deleted"], deleted.json()["body"]) == (True, "")
        history = await client.get(f"/api/rooms/{group}/messages", headers=ioana.auth)
        assert history.json()[0]["deleted"] is True
        assert history.json()[0]["seq"] == message["seq"]

    async def test_blocked_authors_messages_arrive_collapsed(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        await post(client, joy, group, "hello")
        await client.post("/api/blocks", json={"account_id": str(joy.id)}, headers=lina.auth)
        for_lina = await client.get(f"/api/rooms/{group}/messages", headers=lina.auth)
        for_ioana = await client.get(f"/api/rooms/{group}/messages", headers=ioana.auth)
        assert for_lina.json()[0]["collapsed"] is True
        assert for_ioana.json()[0]["collapsed"] is False


class TestContentWarnings:
    async def test_stored_returned_and_folded_text_is_unchanged(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana, "support_group", "Circle")
        await join(client, lina, group)
        await join(client, joy, group)
        url = f"/api/rooms/{group}/messages"
        posted = await client.post(
            url,
            json={
                "client_id": "cw1",
                "body": "What happened that night",
                "content_warning": "  violence,   the  journey ",
            },
            headers=lina.auth,
        )
        assert posted.status_code == 201, posted.text
        assert posted.json()["message"]["content_warning"] == "violence, the journey"
        plain = await post(client, joy, group, "Thank you for telling us")
        assert plain["content_warning"] is None
        history = (await client.get(url, headers=joy.auth)).json()
        assert [(m["body"], m["content_warning"]) for m in history] == [
            ("What happened that night", "violence, the journey"),
            ("Thank you for telling us", None),
        ]
        # A blank warning is no warning.
        blank = await client.post(
            url, json={"client_id": "cw2", "body": "hi", "content_warning": " "}, headers=joy.auth
        )
        assert blank.json()["message"]["content_warning"] is None

    async def test_also_in_working_groups(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        working = await make_room(client, ioana, "working_group", "Outreach plans")
        posted = await client.post(
            f"/api/rooms/{working}/messages",
            json={"client_id": "w", "body": "About last week", "content_warning": "an assault"},
            headers=ioana.auth,
        )
        assert posted.status_code == 201
        assert posted.json()["message"]["content_warning"] == "an assault"

    async def test_at_most_80_characters(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        group = await make_room(client, ioana)
        url = f"/api/rooms/{group}/messages"
        ok = await client.post(
            url,
            json={"client_id": "a", "body": "x", "content_warning": "w" * 80},
            headers=ioana.auth,
        )
        assert ok.status_code == 201
        long = await client.post(
            url,
            json={"client_id": "b", "body": "x", "content_warning": "w" * 81},
            headers=ioana.auth,
        )
        assert long.status_code == 422
        assert "80" in long.json()["error"]["fields"]["content_warning"]
        history = (await client.get(url, headers=ioana.auth)).json()
        assert len(history) == 1

    async def test_refused_in_rooms_that_are_not_groups(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        noor = await person_with(app, client, "Noor", Role.SAFEGUARDING)
        board = await make_room(client, noor, "announcements", "Notices")
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        direct = await client.post(
            "/api/direct-conversations", json={"account_id": str(joy.id)}, headers=lina.auth
        )
        direct_id = direct.json()["id"]
        await client.post(f"/api/rooms/{direct_id}/accept", headers=joy.auth)
        for room_id, person in ((board, noor), (direct_id, lina)):
            refused = await client.post(
                f"/api/rooms/{room_id}/messages",
                json={"client_id": "r", "body": "hello", "content_warning": "loss"},
                headers=person.auth,
            )
            assert refused.status_code == 422
            error = refused.json()["error"]
            assert error["code"] == "content_warning_not_here"
            assert "content_warning" in error["fields"]
            history = await client.get(f"/api/rooms/{room_id}/messages", headers=person.auth)
            assert [m["body"] for m in history.json()] == []

    async def test_gone_with_a_deleted_message(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        group = await make_room(client, ioana)
        posted = await client.post(
            f"/api/rooms/{group}/messages",
            json={"client_id": "d", "body": "x", "content_warning": "grief"},
            headers=ioana.auth,
        )
        seq = posted.json()["message"]["seq"]
        deleted = await client.delete(f"/api/rooms/{group}/messages/{seq}", headers=ioana.auth)
        assert deleted.json()["content_warning"] is None


class TestModeration:
    async def test_moderator_delete_is_a_tombstone_with_a_reason_and_is_audited(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        message = await post(client, joy, group, "send me your address")
        url = f"/api/rooms/{group}/messages/{message['seq']}/removal"
        refused = await client.post(url, json={"reason": "no"}, headers=lina.auth)
        assert refused.status_code == 403
        removed = await client.post(
            url, json={"reason": "asking for addresses"}, headers=ioana.auth
        )
        body = removed.json()
        assert (body["deleted"], body["deleted_by_moderator"], body["delete_reason"]) == (
            True,
            True,
            "asking for addresses",
        )
        async with app.state.db.session(write=False) as session:
            entries = (
                await session.exec(
                    select(AuditEntry).where(col(AuditEntry.action) == "room.message_removed")
                )
            ).all()
        assert len(entries) == 1
        assert entries[0].actor_id == ioana.id

    async def test_report_keeps_a_snapshot_after_the_author_deletes(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        noor = await person_with(app, client, "Noor", Role.SAFEGUARDING)
        group = await make_room(client, ioana)
        await join(client, lina, group)
        await join(client, joy, group)
        message = await post(client, joy, group, "I have a job for you abroad")
        filed = await client.post(
            "/api/reports",
            json={
                "kind": "recruitment",
                "target": {"kind": "message", "room_id": str(group), "seq": message["seq"]},
                "description": "job offer from a stranger",
            },
            headers=lina.auth,
        )
        assert filed.status_code == 201
        await client.delete(f"/api/rooms/{group}/messages/{message['seq']}", headers=joy.auth)
        assert (await client.get("/api/safety/queue", headers=lina.auth)).status_code == 403
        queue = (await client.get("/api/safety/queue", headers=noor.auth)).json()
        assert [item["target_pseudonym"] for item in queue] == ["Joy"]
        case = (
            await client.get(f"/api/safety/cases/{queue[0]['case_id']}", headers=noor.auth)
        ).json()
        reported = [e for e in case["evidence"] if e["report_id"] is not None]
        assert [e["body"] for e in reported] == ["I have a job for you abroad"]
        assert reported[0]["author_pseudonym"] == "Joy"
        # Screening had flagged the same message into the same case: one case per person.
        flagged = {e["signal_rule"] for e in case["evidence"] if e["report_id"] is None}
        assert "offer.job" in flagged

    async def test_mute_lasts_for_its_time_and_is_audited(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        start = datetime.now(UTC)
        with frozen_clock(start) as clock:
            muted = await client.post(
                f"/api/rooms/{group}/mutes",
                json={"account_id": str(lina.id), "minutes": 2, "reason": "cool down"},
                headers=ioana.auth,
            )
            assert muted.status_code == 200
            refused = await client.post(
                f"/api/rooms/{group}/messages",
                json={"client_id": "m", "body": "hey"},
                headers=lina.auth,
            )
            assert refused.json()["error"]["code"] == "muted"
            clock.advance(minutes=3)
            await post(client, lina, group, "back")
        async with app.state.db.session(write=False) as session:
            actions = (await session.exec(select(AuditEntry.action))).all()
        assert "room.member_muted" in actions

    async def test_removed_member_cannot_rejoin_by_herself(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _joy = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        refused = await client.post(
            f"/api/rooms/{group}/removals",
            json={"account_id": str(ioana.id), "reason": "x"},
            headers=lina.auth,
        )
        assert refused.status_code == 403
        removed = await client.post(
            f"/api/rooms/{group}/removals",
            json={"account_id": str(lina.id), "reason": "harassment"},
            headers=ioana.auth,
        )
        assert removed.status_code == 204
        rejoin = await client.post(f"/api/rooms/{group}/join", headers=lina.auth)
        assert rejoin.json()["error"]["code"] == "not_joinable"
        assert (
            await client.get(f"/api/rooms/{group}/messages", headers=lina.auth)
        ).status_code == 404


class TestServicesForMembership:
    async def test_mentoring_room_is_idempotent_with_both_members(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        async with app.state.db.session() as session:
            first = await room_rooms.open_mentoring_room(
                session, mentor_id=ioana.id, mentee_id=lina.id
            )
            again = await room_rooms.open_mentoring_room(
                session, mentor_id=ioana.id, mentee_id=lina.id
            )
        assert first.id == again.id
        assert first.kind == RoomKind.MENTORING.value
        for person in (ioana, lina):
            assert (await rooms_of(client, person))["Ioana & Lina"]["kind"] == "mentoring"

    async def test_active_members_room_working_group_and_system_message(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        async with app.state.db.session() as session:
            roots = await room_rooms.ensure_active_members_room(session)
            assert (await room_rooms.ensure_active_members_room(session)).id == roots.id
            await room_rooms.add_room_member(session, room_id=roots.id, account_id=lina.id)
            await room_rooms.add_room_member(session, room_id=roots.id, account_id=lina.id)
            group = await room_rooms.create_working_group_room(
                session, name="Outreach", created_by=ioana.id
            )
            await room_messages.post_system_message(
                session, room_id=roots.id, text="Please welcome Lina."
            )
        history = await client.get(f"/api/rooms/{roots.id}/messages", headers=lina.auth)
        assert [(m["kind"], m["author"], m["body"]) for m in history.json()] == [
            ("system", None, "Please welcome Lina.")
        ]
        assert (await rooms_of(client, ioana))["Outreach"]["my_role"] == "moderator"
        assert group.kind == "working_group"


class TestGroupSessions:
    async def test_schedule_attend_and_give_anonymous_feedback(
        self, app: FastAPI, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, joy = cast
        mira = await person_with(app, client, "Mira", Role.MEMBER)
        group = await make_room(client, ioana)
        for person in (lina, joy, mira):
            await join(client, person, group)
        start = datetime.now(UTC) + timedelta(days=1)
        created = await client.post(
            f"/api/rooms/{group}/sessions",
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "topic": "Sleep and stress",
                "language": "fr",
            },
            headers=ioana.auth,
        )
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        not_hers = await client.post(
            f"/api/rooms/{group}/sessions",
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "topic": "x",
            },
            headers=lina.auth,
        )
        assert not_hers.status_code == 403
        upcoming = await client.get(f"/api/rooms/{group}/sessions", headers=lina.auth)
        assert [s["topic"] for s in upcoming.json()] == ["Sleep and stress"]
        base = f"/api/rooms/{group}/sessions/{session_id}"
        questions = await client.put(
            base + "/feedback-questions",
            json={
                "questions": [
                    {"text": "How useful was it?", "kind": "scale"},
                    {"text": "What would you change?", "kind": "text"},
                ]
            },
            headers=ioana.auth,
        )
        scale_q, text_q = (q["id"] for q in questions.json())
        attendance = await client.put(
            base + "/attendance",
            json={"account_ids": [str(lina.id), str(joy.id), str(mira.id)]},
            headers=ioana.auth,
        )
        assert [a["pseudonym"] for a in attendance.json()["attendees"]] == ["Joy", "Lina", "Mira"]
        answers = [(lina, 5, "more time"), (joy, 4, "a break")]
        for person, scale, text in answers:
            response = await client.post(
                base + "/feedback",
                json={
                    "answers": [
                        {"question_id": scale_q, "scale": scale},
                        {"question_id": text_q, "text": text},
                    ]
                },
                headers=person.auth,
            )
            assert response.status_code == 204
        twice = await client.post(
            base + "/feedback",
            json={"answers": [{"question_id": scale_q, "scale": 1}]},
            headers=lina.auth,
        )
        assert twice.status_code == 409
        hidden = (await client.get(base + "/feedback", headers=ioana.auth)).json()
        assert (hidden["submissions"], hidden["shown"]) == (2, False)
        assert hidden["questions"][0]["average"] is None
        await client.post(
            base + "/feedback",
            json={"answers": [{"question_id": scale_q, "scale": 3}]},
            headers=mira.auth,
        )
        summary = (await client.get(base + "/feedback", headers=ioana.auth)).json()
        assert summary["shown"] is True
        assert summary["questions"][0]["average"] == 4.0
        assert summary["questions"][1]["texts"] == ["a break", "more time"]
        assert "account" not in str(summary)
        assert (await client.get(base + "/feedback", headers=lina.auth)).status_code == 403
        async with app.state.db.session(write=False) as session:
            assert await room_group_sessions.count_attended_sessions(session, lina.id) == 1
            later = datetime.now(UTC) + timedelta(days=2)
            assert (
                await room_group_sessions.count_attended_sessions(session, lina.id, since=later)
                == 0
            )

    async def test_only_attendees_give_feedback(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        start = datetime.now(UTC)
        created = await client.post(
            f"/api/rooms/{group}/sessions",
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "topic": "Rights at work",
            },
            headers=ioana.auth,
        )
        base = f"/api/rooms/{group}/sessions/{created.json()['id']}"
        questions = await client.put(
            base + "/feedback-questions",
            json={"questions": [{"text": "Useful?", "kind": "scale"}]},
            headers=ioana.auth,
        )
        response = await client.post(
            base + "/feedback",
            json={"answers": [{"question_id": questions.json()[0]["id"], "scale": 5}]},
            headers=lina.auth,
        )
        assert response.status_code == 403

    async def test_workshop_series_has_four_to_six_sessions_and_its_attendance(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, lina, _ = cast
        group = await make_room(client, ioana)
        await join(client, lina, group)
        start = datetime.now(UTC)

        def sessions(n: int) -> list[dict[str, str]]:
            return [
                {
                    "starts_at": (start + timedelta(weeks=i)).isoformat(),
                    "ends_at": (start + timedelta(weeks=i, hours=2)).isoformat(),
                    "topic": f"Life skills {i + 1}",
                }
                for i in range(n)
            ]

        too_short = await client.post(
            f"/api/rooms/{group}/series",
            json={"title": "Life skills", "sessions": sessions(3)},
            headers=ioana.auth,
        )
        assert too_short.status_code == 422
        series = await client.post(
            f"/api/rooms/{group}/series",
            json={"title": "Life skills", "sessions": sessions(4)},
            headers=ioana.auth,
        )
        assert series.status_code == 201
        body = series.json()
        for held in body["sessions"][:2]:
            await client.put(
                f"/api/rooms/{group}/sessions/{held['id']}/attendance",
                json={"account_ids": [str(lina.id)]},
                headers=ioana.auth,
            )
        summary = await client.get(
            f"/api/rooms/{group}/series/{body['id']}/attendance", headers=ioana.auth
        )
        assert summary.json() == {"series_id": body["id"], "sessions": 4, "attended": {"Lina": 2}}

    async def test_naive_times_are_refused_clearly(
        self, client: httpx.AsyncClient, cast: tuple[Person, Person, Person]
    ) -> None:
        ioana, _, _ = cast
        group = await make_room(client, ioana)
        response = await client.post(
            f"/api/rooms/{group}/sessions",
            json={
                "starts_at": "2026-03-01T18:00:00",
                "ends_at": "2026-03-01T20:00:00",
                "topic": "x",
            },
            headers=ioana.auth,
        )
        assert response.status_code == 422
        assert "time zone" in response.json()["error"]["fields"]["starts_at"]


async def test_unknown_people_cannot_be_added_and_nobody_is_added_to_private_rooms(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ioana = await person_with(app, client, "Ioana", Role.FACILITATOR)
    lina = await register(client, "Lina")
    group = await make_room(client, ioana, "working_group", "Plans")
    added = await client.post(
        f"/api/rooms/{group}/members", json={"account_id": str(lina.id)}, headers=ioana.auth
    )
    assert added.status_code == 201
    nobody = await client.post(
        f"/api/rooms/{group}/members", json={"account_id": str(uuid.uuid4())}, headers=ioana.auth
    )
    assert nobody.status_code == 404
