"""The chain of trust, and what a confirmed infiltration sets off."""

import json
from datetime import UTC, datetime, timedelta

from backend.core.time import frozen_clock
from tests.backend.safeguarding.conftest import Community, queue, report, roots_of
from tests.conftest import PASSWORD


async def test_confirmed_infiltration_reviews_revokes_and_recounts(community: Community) -> None:
    client, officer = community.client, community.officer
    await community.set_rules(quorum_percent=50, threshold_percent=67)
    root_a, root_b, root_c, root_d = await roots_of(community, 4)
    xenia = await community.founding_active("Xenia")

    # Xenia interviewed Rosa, and everyone voted her in: Rosa holds a card.
    rosa = await community.member("Rosa")
    rosa_vote = await community.open_vote(
        await community.application_ready_for_vote(rosa, interviewers=[xenia])
    )
    for voter in (root_a, root_b, root_c, root_d, xenia):
        await community.ballot(voter, rosa_vote, "yes")
    assert (await community.call(rosa, "GET", "/api/cards/me", expect=200))["status"] == "valid"

    # Xenia referred Paz.
    referral = await community.call(xenia, "POST", "/api/referrals", {}, expect=201)
    joined = await client.post(
        "/api/referrals/join",
        json={
            "pseudonym": "Paz",
            "password": PASSWORD,
            "invitation_code": referral["invitation_code"],
            "client": "api",
        },
    )
    assert joined.status_code == 201, joined.text

    # Quinn's vote is open. With Xenia's ballot: 3 yes of 4 = 75% >= 67%: approved.
    # Without it: 2 yes of 3 = 66.7% < 67%: rejected. Quorum holds either way.
    quinn = await community.member("Quinn")
    quinn_vote = await community.open_vote(await community.application_ready_for_vote(quinn))
    await community.ballot(root_a, quinn_vote, "yes")
    await community.ballot(root_b, quinn_vote, "yes")
    await community.ballot(xenia, quinn_vote, "yes")
    await community.ballot(root_c, quinn_vote, "no")

    graph = await community.call(
        officer, "GET", f"/api/safety/accounts/{xenia.id}/trust", expect=200
    )
    edges = {(e["kind"], e["target"]) for e in graph["edges"] if e["source"] == str(xenia.id)}
    assert ("interviewed", str(rosa.id)) in edges
    assert ("voted", str(rosa.id)) in edges
    assert ("voted", str(quinn.id)) in edges
    assert ("referred", joined.json()["account"]["id"]) in edges
    # That she voted, never how.
    assert '"yes"' not in json.dumps(graph)
    assert "choice" not in json.dumps(graph)

    await report(client, root_a, account=xenia, kind="infiltration")
    case_id = (await queue(client, officer))[0]["case_id"]
    await community.call(
        officer,
        "POST",
        f"/api/safety/cases/{case_id}/decision",
        {
            "decision": "expulsion",
            "reason": "asked three newcomers for their home towns and phone numbers",
            "infiltration_confirmed": True,
        },
        expect=200,
    )
    plan = await community.call(officer, "GET", f"/api/safety/cases/{case_id}/cascade", expect=200)
    review = {n["pseudonym"]: n["distance"] for n in plan["review"]}
    assert (review["Rosa"], review["Paz"], review["Quinn"]) == (1, 1, 1)
    # Two steps out: the Roots who voted Rosa in.
    assert review["Root A"] == 2
    assert set(plan["cards_to_revoke_for"]) >= {str(rosa.id)}
    assert plan["open_votes_to_recount"] == [quinn_vote]

    done = await community.call(officer, "POST", f"/api/safety/cases/{case_id}/cascade", expect=200)
    assert done["votes_recounted"] == [quinn_vote]
    assert str(rosa.id) in done["cards_revoked_for"]
    assert (await community.call(rosa, "GET", "/api/cards/me", expect=200))["status"] == "revoked"
    marked = await community.call(officer, "GET", "/api/safety/review", expect=200)
    assert {"Rosa", "Paz", "Quinn"} <= {m["pseudonym"] for m in marked}

    with frozen_clock(datetime.now(UTC) + timedelta(days=8)):
        view = await community.call(root_a, "GET", f"/api/votes/{quinn_vote}", expect=200)
    assert view["closed"] is True
    assert view["outcome"] == "rejected"


async def test_the_cascade_needs_a_confirmed_infiltration(community: Community) -> None:
    client, officer = community.client, community.officer
    lina = await community.member("Lina")
    reporter = await community.member("Reporter")
    await report(client, reporter, account=lina)
    case_id = (await queue(client, officer))[0]["case_id"]
    await community.call(
        officer,
        "POST",
        f"/api/safety/cases/{case_id}/decision",
        {"decision": "warning", "reason": "rude"},
        expect=200,
    )
    refused = await client.post(f"/api/safety/cases/{case_id}/cascade", headers=officer.auth)
    assert refused.status_code == 409
    graph = await client.get(f"/api/safety/accounts/{lina.id}/trust", headers=reporter.auth)
    assert graph.status_code == 403
