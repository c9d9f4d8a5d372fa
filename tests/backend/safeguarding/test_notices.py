"""Safety notices go to exactly the right people and say no more than they should."""

import json
from typing import Any

from tests.backend.safeguarding.conftest import Community, queue, report
from tests.conftest import Person


async def feed(community: Community, person: Person) -> list[dict[str, Any]]:
    body = await community.call(person, "GET", "/api/notifications", expect=200)
    items: list[dict[str, Any]] = body["items"]
    return [i for i in items if i["kind"].startswith("safety.")]


async def test_reporter_hears_progress_the_reported_person_hears_her_restriction(
    community: Community, second_officer: Person
) -> None:
    client, officer = community.client, community.officer
    shirin = await community.member("Shirin")
    bystander = await community.member("Bystander")
    lina = await community.member("Lina")
    await report(client, shirin, account=lina)
    case_id = (await queue(client, officer))[0]["case_id"]
    await community.call(
        officer,
        "POST",
        f"/api/safety/cases/{case_id}/assignment",
        {"officer_id": str(second_officer.id)},
        expect=200,
    )
    await community.call(
        second_officer,
        "POST",
        f"/api/safety/cases/{case_id}/decision",
        {"decision": "restriction", "reason": "asked for addresses", "effects": ["read_only"]},
        expect=200,
    )
    to_reporter = await feed(community, shirin)
    assert [i["kind"] for i in to_reporter] == ["safety.report_status"] * 2
    # Status only: neither the decision nor who it concerns.
    texts = " ".join(i["text"] for i in to_reporter)
    assert "Lina" not in texts
    for decided in ("read-only", "restrict", "warning", "limited"):
        assert decided not in texts.lower()
    to_target = await feed(community, lina)
    assert [i["kind"] for i in to_target] == ["safety.restriction_applied"]
    assert "Shirin" not in json.dumps(to_target)
    assert await feed(community, bystander) == []
    # An appeal does not reopen anything on the reporter's side.
    await community.call(
        lina, "POST", f"/api/me/decisions/{case_id}/appeal", {"statement": "no"}, expect=201
    )
    await community.call(
        officer,
        "POST",
        f"/api/safety/cases/{case_id}/appeal-decision",
        {"outcome": "overturned", "reason": "misread"},
        expect=200,
    )
    assert len(await feed(community, shirin)) == 2
    kinds = [i["kind"] for i in await feed(community, lina)]
    assert sorted(kinds) == ["safety.restriction_applied", "safety.restriction_lifted"]
    mine = await community.call(shirin, "GET", "/api/reports/mine", expect=200)
    assert mine[0]["status"] == "closed"
