"""The worker's side: her shifts as a calendar, swaps, debriefs and who reads them."""

from datetime import UTC, datetime
from typing import Any

import vobject
from icalendar import Calendar

from backend.auth.capabilities import Role
from backend.core.time import MovableClock
from tests.backend.peerwork.conftest import Org
from tests.conftest import Person, person_with

FORBIDDEN_WORDS = (
    "outreach",
    "round",
    "north",
    "harbour",
    "traffick",
    "survivor",
    "victim",
    "helpline",
)


async def publish(org: Org) -> dict[str, Any]:
    roster = await org.roster()
    return await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")  # type: ignore[no-any-return]


class TestCalendarFeed:
    async def test_feed_parses_and_says_nothing_about_the_work(self, org: Org) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy")
        await org.shifts(org.shift("outreach", 4, 18, 22), org.shift("drop_in", 5, 9, 13))
        await publish(org)
        created = await org.call(joy, "POST", "/api/peerwork/me/calendar", expect=201)
        url: str = created["url"]
        assert url.startswith("http://localhost/api/calendar/")
        assert url.endswith(".ics")
        response = await org.client.get(url)  # no sign-in: calendar apps cannot sign in
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 2
        assert {str(e["SUMMARY"]) for e in events} == {"Shift"}
        assert all("LOCATION" not in e and "DESCRIPTION" not in e for e in events)
        starts = sorted(e.decoded("DTSTART").isoformat() for e in events)
        assert starts == ["2030-03-04T17:00:00+00:00", "2030-03-05T08:00:00+00:00"]
        lowered = response.text.lower()
        assert not [w for w in FORBIDDEN_WORDS if w in lowered]

    async def test_a_second_parser_reads_the_same_events_times_and_zones(self, org: Org) -> None:
        # vobject shares no code with icalendar, which writes the feed.
        await org.professional("Hugo")
        joy = await org.worker("Joy")
        await org.shifts(org.shift("outreach", 4, 18, 22), org.shift("drop_in", 5, 9, 13))
        await publish(org)
        mine = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        url = (await org.call(joy, "POST", "/api/peerwork/me/calendar", expect=201))["url"]
        body = (await org.client.get(url)).text
        [calendar] = list(vobject.readComponents(body))
        assert calendar.name == "VCALENDAR"
        assert calendar.version.value == "2.0"
        events = sorted(calendar.vevent_list, key=lambda e: e.dtstart.value)
        by_icalendar = sorted(
            Calendar.from_ical(body).walk("VEVENT"), key=lambda e: e.decoded("DTSTART")
        )
        assert len(events) == len(by_icalendar) == len(mine) == 2
        for event, other, shift in zip(
            events, by_icalendar, sorted(mine, key=lambda m: m["starts_at"]), strict=True
        ):
            starts, ends = event.dtstart.value, event.dtend.value
            # Aware times, the same instants as the API's, in UTC in both parsers.
            assert starts.utcoffset() == ends.utcoffset() == UTC.utcoffset(None)
            assert starts == datetime.fromisoformat(shift["starts_at"])
            assert ends == datetime.fromisoformat(shift["ends_at"])
            assert (starts, ends) == (other.decoded("DTSTART"), other.decoded("DTEND"))
            assert event.uid.value == str(other["UID"]) == f"{shift['assignment_id']}@tandem"
            assert event.summary.value == "Shift"
            # Nothing but these: no place, zone, organisation or description.
            assert set(event.contents) == {
                "uid",
                "dtstamp",
                "last-modified",
                "dtstart",
                "dtend",
                "summary",
            }
        assert [e.dtstart.value.isoformat() for e in events] == [
            "2030-03-04T17:00:00+00:00",
            "2030-03-05T08:00:00+00:00",
        ]

    async def test_new_address_retires_the_old_and_revocation_ends_it(self, org: Org) -> None:
        joy = await org.worker("Joy")
        first = (await org.call(joy, "POST", "/api/peerwork/me/calendar", expect=201))["url"]
        second = (await org.call(joy, "POST", "/api/peerwork/me/calendar", expect=201))["url"]
        assert first != second
        assert (await org.client.get(first)).status_code == 404
        assert (await org.client.get(second)).status_code == 200
        await org.call(joy, "DELETE", "/api/peerwork/me/calendar", expect=204)
        assert (await org.client.get(second)).status_code == 404
        assert (await org.client.get("/api/calendar/guess.ics")).status_code == 404


class TestSwaps:
    async def _setup(self, org: Org) -> tuple[Person, Person, str]:
        joy = await org.worker("Joy")
        lina = await org.worker("Lina", availability=[])
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        await publish(org)
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        # Lina now gives availability: she can take it.
        await org.call(
            lina,
            "PUT",
            f"{org.base}/my-availability",
            {"weekly": [{"weekday": 0, "start_minute": 8 * 60, "end_minute": 14 * 60}]},
        )
        return joy, lina, str(shift["assignment_id"])

    async def test_asked_accepted_approved_moves_the_shift(
        self, org: Org, clock: MovableClock
    ) -> None:
        joy, lina, assignment = await self._setup(org)
        team = await org.call(joy, "GET", f"{org.base}/team")
        assert {p["name"] for p in team} == {"Joy", "Lina"}
        swap = await org.call(
            joy,
            "POST",
            "/api/shift-swaps",
            {"assignment_id": assignment, "to_account_id": str(lina.id)},
            expect=201,
        )
        assert swap["status"] == "proposed"
        # Only Lina answers; the coordinator cannot approve before she accepts.
        await org.call(joy, "POST", f"/api/shift-swaps/{swap['id']}/accept", expect=404)
        await org.call(
            org.coordinator, "POST", f"/api/shift-swaps/{swap['id']}/approve", {}, expect=409
        )
        clock.advance(minutes=1)
        accepted = await org.call(lina, "POST", f"/api/shift-swaps/{swap['id']}/accept")
        assert accepted["status"] == "accepted"
        await org.call(lina, "POST", f"/api/shift-swaps/{swap['id']}/approve", {}, expect=403)
        clock.advance(minutes=1)
        approved = await org.call(
            org.coordinator, "POST", f"/api/shift-swaps/{swap['id']}/approve", {}
        )
        assert approved["status"] == "approved"
        assert await org.call(joy, "GET", "/api/peerwork/me/shifts") == []
        [moved] = await org.call(lina, "GET", "/api/peerwork/me/shifts")
        assert moved["assignment_id"] == assignment
        notices = await org.call(joy, "GET", "/api/peerwork/me/notices")
        assert notices[0]["text"] in (
            "Your schedule in Tandem changed.",
            "A schedule change you asked about was answered.",
        )

    async def test_swap_to_someone_who_cannot_take_it_refused(self, org: Org) -> None:
        joy = await org.worker("Joy")
        lina = await org.worker("Lina", availability=[])
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        await publish(org)
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        refused = await org.call(
            joy,
            "POST",
            "/api/shift-swaps",
            {"assignment_id": shift["assignment_id"], "to_account_id": str(lina.id)},
            expect=409,
        )
        assert refused["error"]["fields"]["reasons"] == "unavailable"

    async def test_rechecked_at_approval(self, org: Org) -> None:
        joy, lina, assignment = await self._setup(org)
        swap = await org.call(
            joy,
            "POST",
            "/api/shift-swaps",
            {"assignment_id": assignment, "to_account_id": str(lina.id)},
            expect=201,
        )
        await org.call(lina, "POST", f"/api/shift-swaps/{swap['id']}/accept")
        # Meanwhile she said she is away that Monday.
        await org.call(
            lina,
            "PUT",
            f"{org.base}/my-availability",
            {"exceptions": [{"on": "2030-03-04", "available": False}]},
        )
        refused = await org.call(
            org.coordinator, "POST", f"/api/shift-swaps/{swap['id']}/approve", {}, expect=409
        )
        assert refused["error"]["fields"]["reasons"] == "unavailable"
        [still] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        assert still["assignment_id"] == assignment

    async def test_declined_and_cancelled(self, org: Org) -> None:
        joy, lina, assignment = await self._setup(org)
        body = {"assignment_id": assignment, "to_account_id": str(lina.id)}
        first = await org.call(joy, "POST", "/api/shift-swaps", body, expect=201)
        assert (await org.call(lina, "POST", f"/api/shift-swaps/{first['id']}/decline"))[
            "status"
        ] == "declined"
        second = await org.call(joy, "POST", "/api/shift-swaps", body, expect=201)
        assert (await org.call(joy, "POST", f"/api/shift-swaps/{second['id']}/cancel"))[
            "status"
        ] == "cancelled"
        await org.call(lina, "POST", f"/api/shift-swaps/{second['id']}/accept", expect=409)


class TestDebriefs:
    async def _debriefed(
        self, org: Org, clock: MovableClock, body: dict[str, Any]
    ) -> tuple[Person, Person, Person, dict[str, Any]]:
        hugo = await org.professional("Hugo")
        joy = await org.worker("Joy")
        lina = await org.worker("Lina", trainings=())
        await org.call(
            org.coordinator,
            "PUT",
            f"/api/peer-workers/{org.worker_ids['Joy']}/supervisor",
            {"account_id": str(hugo.id)},
        )
        await org.shifts(org.shift("outreach", 4, 18, 22))
        await publish(org)
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        assert shift["debrief_due"] is False
        clock.advance(days=3, hours=14)
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        assert shift["debrief_due"] is True
        debrief = await org.call(
            joy, "PUT", f"/api/assignments/{shift['assignment_id']}/debrief", body, expect=201
        )
        return joy, lina, hugo, debrief

    async def test_only_she_and_her_supervisor_read_it(self, org: Org, clock: MovableClock) -> None:
        body = {
            "wellbeing": 2,
            "incident": True,
            "incident_note": "A man followed us to the car.",
            "wants_to_talk": True,
        }
        joy, lina, hugo, debrief = await self._debriefed(org, clock, body)
        assert debrief["concerning"] is True
        path = f"/api/debriefs/{debrief['id']}"
        assert (await org.call(joy, "GET", path))["incident_note"] == body["incident_note"]
        assert (await org.call(hugo, "GET", path))["incident_note"] == body["incident_note"]
        assert [d["id"] for d in await org.call(hugo, "GET", "/api/debriefs")] == [debrief["id"]]
        # Her coordinator (not her supervisor), a colleague, an admin, a safeguarding officer:
        admin = await person_with(org.app, org.client, "Amara", Role.ADMIN)
        officer = await person_with(org.app, org.client, "Noor", Role.SAFEGUARDING)
        for outsider in (org.coordinator, lina, admin, officer):
            await org.call(outsider, "GET", path, expect=404)
            assert await org.call(outsider, "GET", "/api/debriefs") == []
        # The supervisor hears something, in neutral words, with no content.
        [notice] = [
            n
            for n in await org.call(hugo, "GET", "/api/peerwork/me/notices")
            if n["kind"] == "talk_requested"
        ]
        assert notice["text"] == "Someone would like to talk with you."
        # The content is not in the audit log.
        async with org.app.state.db.session() as session:
            from sqlmodel import select

            from backend.core.audit import AuditEntry

            entries = (await session.exec(select(AuditEntry))).all()
        assert not [e for e in entries if "followed" in e.details]
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        assert shift["debrief_due"] is False

    async def test_once_and_only_after_outreach_or_helpline(
        self, org: Org, clock: MovableClock
    ) -> None:
        body = {"wellbeing": 4, "incident": False}
        joy, _lina, hugo, debrief = await self._debriefed(org, clock, body)
        assert debrief["concerning"] is False
        assert [
            n
            for n in await org.call(hugo, "GET", "/api/peerwork/me/notices")
            if n["kind"] == "talk_requested"
        ] == []
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        await org.call(
            joy, "PUT", f"/api/assignments/{shift['assignment_id']}/debrief", body, expect=409
        )
        await org.call(
            hugo, "PUT", f"/api/assignments/{shift['assignment_id']}/debrief", body, expect=404
        )
