from tests.backend.peerwork.conftest import Org


async def test_smoke(org: Org) -> None:
    await org.professional("Hugo")
    joy = await org.worker("Joy")
    await org.shifts(org.shift("outreach", 4, 18, 22), org.shift("drop_in", 5, 9, 13))
    roster = await org.roster()
    print(roster)
    assert roster["report"]["complete"], roster["report"]
    await org.call(org.coordinator, "POST", f"/api/rosters/{roster['id']}/publish")
    mine = await org.call(joy, "GET", "/api/peerwork/me/shifts")
    assert len(mine) == 2
