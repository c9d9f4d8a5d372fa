"""A block is respected in votes and member lists (DMs, typing and mentor and interviewer
assignment are covered by the rooms, mentoring and membership tests)."""

from tests.backend.safeguarding.conftest import Community, roots_of


async def test_a_voter_who_blocked_the_applicant_is_recused(community: Community) -> None:
    await community.set_rules(quorum_percent=50, threshold_percent=50)
    root_a, root_b = await roots_of(community, 2)
    rosa = await community.member("Rosa")
    await community.call(root_b, "POST", "/api/blocks", {"account_id": str(rosa.id)}, expect=201)
    vote_id = await community.open_vote(await community.application_ready_for_vote(rosa))
    view = await community.call(root_b, "GET", f"/api/votes/{vote_id}", expect=200)
    assert (view["i_may_vote"], view["i_recused"]) == (False, True)
    # Root A's ballot alone completes the vote: B is out of the denominator.
    await community.ballot(root_a, vote_id, "yes")
    closed = await community.call(root_a, "GET", f"/api/votes/{vote_id}", expect=200)
    assert (closed["closed"], closed["outcome"]) == (True, "approved")


async def test_member_lists_leave_out_people_blocked_either_way(community: Community) -> None:
    lina, joy, sara = [await community.member(n) for n in ("Lina", "Joy", "Sara")]
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Circle"},
        expect=201,
    )
    for person in (lina, joy, sara):
        await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    await community.call(lina, "POST", "/api/blocks", {"account_id": str(joy.id)}, expect=201)

    def names(members: list[dict[str, str]]) -> set[str]:
        return {m["pseudonym"] for m in members}

    seen = {
        person.pseudonym: names(
            await community.call(person, "GET", f"/api/rooms/{room['id']}/members", expect=200)
        )
        for person in (lina, joy, sara)
    }
    assert "Joy" not in seen["Lina"]
    assert "Lina" not in seen["Joy"]
    assert {"Lina", "Joy"} <= seen["Sara"]
