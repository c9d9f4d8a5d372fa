"""Every hard constraint, on an instance where breaking it is the only way to cover a shift:
the solver leaves the place empty, returns the rest of the roster, and names the rule.
Then the same rules refusing hand edits."""

from typing import Any

import pytest

from backend.core.time import MovableClock
from tests.backend.peerwork.conftest import Org

WEEKDAYS_DAYTIME = [{"weekday": d, "start_minute": 9 * 60, "end_minute": 17 * 60} for d in range(5)]


def uncovered(roster: dict[str, Any], role: str = "peer") -> list[dict[str, Any]]:
    return [u for u in roster["report"]["uncovered"] if u["role"] == role]


def reasons_of(roster: dict[str, Any], account_id: object, role: str = "peer") -> list[list[str]]:
    return [u["candidates"][str(account_id)] for u in uncovered(roster, role)]


class TestSolverRefusesAndExplains:
    async def test_full_roster_when_everything_fits(self, org: Org) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy")
        lina = await org.worker("Lina")
        await org.shifts(
            org.shift("outreach", 4, 18, 22),
            org.shift("drop_in", 5, 9, 13),
            org.shift("drop_in", 6, 9, 13),
            org.shift("drop_in", 7, 9, 13),
        )
        roster = await org.roster()
        assert roster["report"]["complete"] is True
        assert roster["report"]["uncovered"] == []
        peers = [a for a in roster["assignments"] if a["role"] == "peer"]
        assert len(peers) == 4
        # Fair: four 4-hour places between two peers, two each.
        minutes = roster["report"]["minutes_by_peer"]
        assert minutes == {str(joy.id): 480, str(lina.id): 480}
        outreach_peer = next(a for a in peers if a["partner_id"] is not None)
        assert outreach_peer["partner_id"] == str(org.professionals[0].id)

    @pytest.mark.parametrize(
        ("setup", "reason"),
        [
            ({"trainings": ()}, "training_missing"),
            ({"availability": WEEKDAYS_DAYTIME}, "unavailable"),
            ({"ends_on": "2030-03-03"}, "outside_contract"),
            ({"cap_minutes": 3 * 60}, "weekly_cap"),
        ],
    )
    async def test_single_rule_blocks_the_only_candidate(
        self, org: Org, setup: dict[str, Any], reason: str
    ) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy", **setup)
        await org.shifts(org.shift("outreach", 4, 18, 22))
        roster = await org.roster()
        assert roster["report"]["complete"] is False
        [gap] = uncovered(roster)
        assert gap["missing"] == 1
        assert gap["binding"] == [reason]
        assert gap["candidates"] == {str(joy.id): [reason]}
        assert [a for a in roster["assignments"] if a["role"] == "peer"] == []

    async def test_expired_training(self, org: Org) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy", trainings=())
        await org.call(
            org.coordinator,
            "POST",
            f"/api/peer-workers/{org.worker_ids['Joy']}/trainings",
            {"training_id": org.trainings["outreach safety"], "completed_on": "2029-03-01"},
            expect=201,
        )
        await org.shifts(org.shift("outreach", 4, 18, 22))
        roster = await org.roster()
        assert reasons_of(roster, joy.id) == [["training_expired"]]

    async def test_safety_exclusion_is_never_crossed(self, org: Org) -> None:
        await org.professional("Hugo")
        joy = await org.worker("Joy")
        await org.call(
            org.coordinator,
            "PUT",
            f"/api/peer-workers/{org.worker_ids['Joy']}/exclusions",
            {"zones": ["  NORTH "]},
        )
        await org.shifts(
            org.shift("outreach", 4, 18, 22), org.shift("outreach", 5, 18, 22, zone="South")
        )
        roster = await org.roster()
        assert reasons_of(roster, joy.id) == [["zone_excluded"]]
        # The rest of the roster stands: she covers the southern round.
        [placed] = [a for a in roster["assignments"] if a["role"] == "peer"]
        assert placed["account_id"] == str(joy.id)

    async def test_minimum_rest_between_shifts(self, org: Org) -> None:
        joy = await org.worker("Joy")
        # 23:00 to 08:00 is nine hours: one person cannot do both.
        await org.shifts(org.shift("drop_in", 4, 18, 23), org.shift("drop_in", 5, 8, 12))
        roster = await org.roster()
        assert len([a for a in roster["assignments"] if a["role"] == "peer"]) == 1
        assert reasons_of(roster, joy.id) == [["rest"]]

    async def test_overlapping_shifts(self, org: Org) -> None:
        joy = await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 4, 9, 13), org.shift("drop_in", 4, 12, 16))
        roster = await org.roster()
        assert reasons_of(roster, joy.id) == [["rest"]]

    async def test_weekly_cap_over_several_shifts(self, org: Org) -> None:
        joy = await org.worker("Joy", cap_minutes=8 * 60)
        await org.shifts(*(org.shift("drop_in", day, 9, 13) for day in (4, 5, 6)))
        roster = await org.roster()
        assert roster["report"]["minutes_by_peer"] == {str(joy.id): 480}
        assert reasons_of(roster, joy.id) == [["weekly_cap"]]

    async def test_pairing_needs_a_professional_for_each_peer(self, org: Org) -> None:
        hugo = await org.professional("Hugo", availability=WEEKDAYS_DAYTIME)
        joy = await org.worker("Joy")
        await org.shifts(org.shift("outreach", 4, 18, 22))
        roster = await org.roster()
        assert reasons_of(roster, joy.id) == [["no_professional"]]
        assert reasons_of(roster, hugo.id, "professional") == [["unavailable"]]
        assert roster["assignments"] == []

    async def test_pairing_with_fewer_professionals_than_peers(self, org: Org) -> None:
        await org.professional("Hugo")
        await org.worker("Joy")
        await org.worker("Lina")
        await org.shifts(org.shift("outreach", 4, 18, 22, peers=2, pros=2))
        roster = await org.roster()
        peers = [a for a in roster["assignments"] if a["role"] == "peer"]
        assert len(peers) == 1
        [peer_gap] = uncovered(roster)
        assert peer_gap["binding"] == ["no_professional"]


class TestHandEdits:
    async def _draft(self, org: Org) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        roster = await org.roster()
        shifts = await org.call(
            org.coordinator, "GET", f"{org.base}/shifts?starts_on=2030-03-04&ends_on=2030-03-10"
        )
        return roster, shifts

    async def add(
        self,
        org: Org,
        roster: dict[str, Any],
        shift: dict[str, Any],
        who: object,
        role: str = "peer",
        expect: int = 201,
    ) -> Any:
        return await org.call(
            org.coordinator,
            "POST",
            f"/api/rosters/{roster['id']}/assignments",
            {"shift_id": shift["id"], "account_id": str(who), "role": role},
            expect=expect,
        )

    async def test_missing_training_refused_with_reason(self, org: Org) -> None:
        await org.professional("Hugo", availability=[])
        joy = await org.worker("Joy", trainings=())
        await org.shifts(org.shift("outreach", 4, 18, 22))
        roster, [shift] = await self._draft(org)
        refused = await self.add(org, roster, shift, joy.id, expect=409)
        assert refused["error"]["code"] == "constraint_violated"
        assert refused["error"]["fields"]["reasons"] == "training_missing,no_professional"
        assert "training" in refused["error"]["message"]

    async def test_rest_and_cap_refused_valid_edit_accepted(self, org: Org) -> None:
        joy = await org.worker("Joy", cap_minutes=8 * 60)
        lina = await org.worker("Lina", availability=[])
        await org.shifts(
            org.shift("drop_in", 4, 18, 23),
            org.shift("drop_in", 5, 8, 12, peers=2),
            org.shift("drop_in", 6, 9, 12, peers=2),
        )
        roster, shifts = await self._draft(org)
        first, second, third = shifts
        mine = {a["shift_id"] for a in roster["assignments"] if a["account_id"] == str(joy.id)}
        # She holds two shifts within the cap; whichever she lacks is refused for a reason.
        assert len(mine) == 2
        missing = next(s for s in shifts if s["id"] not in mine)
        refused = await self.add(org, roster, missing, joy.id, expect=409)
        assert refused["error"]["fields"]["reasons"] in ("rest", "weekly_cap", "rest,weekly_cap")
        refused = await self.add(org, roster, third, lina.id, expect=409)
        assert refused["error"]["fields"]["reasons"] == "unavailable"
        assert first
        assert second

    async def test_shift_full_and_outsider_refused(self, org: Org, other_org: Org) -> None:
        joy = await org.worker("Joy")
        lina = await org.worker("Lina")
        stranger = await other_org.worker("Stranger")
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        roster, [shift] = await self._draft(org)
        on_it = next(a for a in roster["assignments"])
        other = lina if on_it["account_id"] == str(joy.id) else joy
        full = await self.add(org, roster, shift, other.id, expect=409)
        assert full["error"]["fields"]["reasons"] == "shift_full"
        outsider = await self.add(org, roster, shift, stranger.id, expect=409)
        assert outsider["error"]["fields"]["reasons"] in ("shift_full", "not_in_team")

    async def test_removing_the_paired_professional_refused(self, org: Org) -> None:
        await org.professional("Hugo")
        await org.worker("Joy")
        await org.shifts(org.shift("outreach", 4, 18, 22))
        roster, _ = await self._draft(org)
        pro = next(a for a in roster["assignments"] if a["role"] == "professional")
        peer = next(a for a in roster["assignments"] if a["role"] == "peer")
        refused = await org.call(
            org.coordinator,
            "DELETE",
            f"/api/rosters/{roster['id']}/assignments/{pro['id']}",
            expect=409,
        )
        assert refused["error"]["fields"]["reasons"] == "no_professional"
        # Taking the peer off first, then the professional, is fine.
        await org.call(
            org.coordinator, "DELETE", f"/api/rosters/{roster['id']}/assignments/{peer['id']}"
        )
        after = await org.call(
            org.coordinator, "DELETE", f"/api/rosters/{roster['id']}/assignments/{pro['id']}"
        )
        assert after["assignments"] == []

    async def test_edits_after_publishing_notify_the_people_affected(
        self, org: Org, clock: MovableClock
    ) -> None:
        joy = await org.worker("Joy")
        lina = await org.worker("Lina")
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        roster, [shift] = await self._draft(org)
        await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
        placed = roster["assignments"][0]
        other = lina if placed["account_id"] == str(joy.id) else joy
        before = await org.call(other, "GET", "/api/peerwork/me/notices")
        clock.advance(minutes=5)
        await org.call(
            org.coordinator, "DELETE", f"/api/rosters/{roster['id']}/assignments/{placed['id']}"
        )
        edited = await self.add(org, roster, shift, other.id)
        assert edited["version"] == 3
        after = await org.call(other, "GET", "/api/peerwork/me/notices")
        assert len(after) == len(before) + 1
        assert after[0]["text"] == "Your schedule in Tandem changed."
        assert [
            s["assignment_id"] for s in await org.call(other, "GET", "/api/peerwork/me/shifts")
        ] == [edited["assignments"][0]["id"]]


class TestRosterLifecycle:
    async def test_overlapping_roster_refused_and_draft_regenerated(self, org: Org) -> None:
        await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        roster = await org.roster()
        clash = await org.roster("2030-03-08", "2030-03-15", expect=409)
        assert clash["error"]["code"] == "roster_overlaps"
        again = await org.call(
            org.coordinator,
            "POST",
            f"/api/rosters/{roster['id']}/regenerate",
            {"time_limit_seconds": 1},
        )
        assert again["report"]["complete"] is True
        await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
        # Published: not deleted, not regenerated, not published twice.
        await org.call(org.coordinator, "DELETE", f"/api/rosters/{roster['id']}", expect=409)
        await org.call(
            org.coordinator, "POST", f"/api/rosters/{roster['id']}/regenerate", {}, expect=409
        )
        await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish", expect=409)

    async def test_workers_see_nothing_before_publishing(
        self, org: Org, clock: MovableClock
    ) -> None:
        joy = await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 4, 9, 13))
        roster = await org.roster()
        assert await org.call(joy, "GET", "/api/peerwork/me/shifts") == []
        clock.advance(minutes=5)
        await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
        [shift] = await org.call(joy, "GET", "/api/peerwork/me/shifts")
        assert shift["shift_type"] == "Counter"
        notices = await org.call(joy, "GET", "/api/peerwork/me/notices")
        assert notices[0]["text"] == "Your schedule in Tandem is ready."
        # Workers cannot read rosters.
        await org.call(joy, "GET", f"/api/rosters/{roster['id']}", expect=403)

    async def test_rest_counts_across_rosters(self, org: Org) -> None:
        joy = await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 10, 18, 23), org.shift("drop_in", 11, 8, 12))
        first = await org.roster("2030-03-04", "2030-03-10")
        assert first["report"]["complete"]
        second = await org.roster("2030-03-11", "2030-03-17")
        assert reasons_of(second, joy.id) == [["rest"]]
