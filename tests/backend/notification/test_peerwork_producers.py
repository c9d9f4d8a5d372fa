"""Peer-work notices reach the feed (and the old notices list still answers); the debrief
reminder follows the shift's end, with injected time."""

from typing import Any

from backend.core.time import MovableClock
from backend.peerwork import tasks as peerwork_tasks
from tests.backend.notification.conftest import feed, kinds_of
from tests.backend.peerwork.conftest import Org, clock, org, settings
from tests.conftest import Person

__all__ = ["clock", "org", "settings"]


async def publish(org: Org) -> dict[str, Any]:
    roster = await org.roster()
    return await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")  # type: ignore[no-any-return]


async def remind(org: Org) -> int:
    async with org.app.state.db.session() as session:
        return await peerwork_tasks.remind_debriefs(session)


class TestPeerWork:
    async def test_invitation_roster_and_swap_reach_the_right_people(self, org: Org) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy")
        lina = await org.worker("Lina")
        bystander: Person = await org.member("Mira")
        assert await kinds_of(org.client, joy) == ["peerwork.invitation"]
        # The old polling list keeps answering, with its own text.
        [notice] = await org.call(joy, "GET", "/api/peerwork/me/notices")
        assert notice["kind"] == "invitation"

        await org.shifts(org.shift("drop_in", 4, 9, 13))
        await publish(org)
        [worker] = [
            p for p in (joy, lina) if "peerwork.roster_published" in await kinds_of(org.client, p)
        ]
        [shift] = await org.call(worker, "GET", "/api/peerwork/me/shifts")
        other = lina if worker is joy else joy
        assert (await feed(org.client, worker))["items"][0]["text"] == "Your schedule is ready."
        assert "peerwork.roster_published" not in await kinds_of(org.client, other)

        swap = await org.call(
            worker,
            "POST",
            "/api/shift-swaps",
            {"assignment_id": shift["assignment_id"], "to_account_id": str(other.id)},
            expect=201,
        )
        assert (await feed(org.client, other))["items"][0]["text"] == (
            "Someone asked you about a schedule change."
        )
        await org.call(other, "POST", f"/api/shift-swaps/{swap['id']}/accept")
        assert (await feed(org.client, org.coordinator))["items"][0]["text"] == (
            "A schedule change waits for your approval."
        )
        await org.call(org.coordinator, "POST", f"/api/shift-swaps/{swap['id']}/approve", {})
        for person in (worker, other):
            assert "peerwork.shift_changed" in await kinds_of(org.client, person)
        assert await kinds_of(org.client, bystander) == []

    async def test_debrief_due_after_the_shift_ends_once(
        self, org: Org, clock: MovableClock
    ) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy")
        await org.shifts(org.shift("outreach", 4, 18, 22))
        await publish(org)
        assert await remind(org) == 0  # before the shift
        clock.advance(days=3, hours=12)  # Monday 21:00 Paris: still on shift
        assert await remind(org) == 0
        clock.advance(hours=1, minutes=5)
        assert await remind(org) == 1
        assert await remind(org) == 0
        [text] = [
            i["text"]
            for i in (await feed(org.client, joy))["items"]
            if i["kind"] == "peerwork.debrief_due"
        ]
        # Shown in her time zone (UTC unless she sets one): 18:00 Paris is 17:00 UTC.
        assert text == "How did your shift on 04/03/2030 17:00 go? A short debrief is waiting."
        assert "peerwork.debrief_due" not in await kinds_of(org.client, org.professionals[0])
