"""Safeguarding's part of export and erasure."""

from tests.backend.safeguarding.conftest import Community, queue, report
from tests.conftest import Person


async def erase(community: Community, person: Person) -> None:
    response = await community.client.post(
        "/api/me/erase", json={"password": person.password}, headers=person.auth
    )
    assert response.status_code == 204, response.text


async def test_a_reporter_who_erases_her_account_leaves_her_report_as_an_erased_member(
    community: Community,
) -> None:
    client, officer = community.client, community.officer
    shirin, lina = await community.member("Shirin"), await community.member("Lina")
    await report(client, shirin, account=lina, description="asked where I sleep")
    export = await community.call(shirin, "GET", "/api/me/export", expect=200)
    assert [r["status"] for r in export["safeguarding"]["reports_made"]] == ["received"]
    await erase(community, shirin)
    case_id = (await queue(client, officer))[0]["case_id"]
    case = await community.call(officer, "GET", f"/api/safety/cases/{case_id}", expect=200)
    assert [(r["reporter_id"], r["reporter_pseudonym"]) for r in case["reports"]] == [
        (None, "an erased member")
    ]
    assert case["reports"][0]["description"] == "asked where I sleep"


async def test_her_words_stay_as_evidence_while_a_case_about_her_is_open(
    community: Community,
) -> None:
    client, officer = community.client, community.officer
    joy, lina = await community.member("Joy"), await community.member("Lina")
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Circle"},
        expect=201,
    )
    for person in (joy, lina):
        await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    sent = await community.call(
        joy,
        "POST",
        f"/api/rooms/{room['id']}/messages",
        {"client_id": "x", "body": "Tell me the street where you sleep now"},
        expect=201,
    )
    await client.post(
        "/api/reports",
        json={
            "kind": "doxxing",
            "target": {"kind": "message", "room_id": room["id"], "seq": sent["message"]["seq"]},
        },
        headers=lina.auth,
    )
    case_id = (await queue(client, officer))[0]["case_id"]
    decisions = await community.call(joy, "GET", "/api/me/export", expect=200)
    assert decisions["safeguarding"]["decisions_about_me"] == []
    await erase(community, joy)
    case = await community.call(officer, "GET", f"/api/safety/cases/{case_id}", expect=200)
    bodies = {e["body"] for e in case["evidence"]}
    assert bodies == {"Tell me the street where you sleep now"}
    assert {e["author_pseudonym"] for e in case["evidence"]} == {""}
    assert case["status"] == "open"


async def test_copies_of_her_words_go_once_the_case_is_decided(community: Community) -> None:
    client, officer = community.client, community.officer
    joy, lina = await community.member("Joy"), await community.member("Lina")
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Circle"},
        expect=201,
    )
    for person in (joy, lina):
        await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    sent = await community.call(
        joy,
        "POST",
        f"/api/rooms/{room['id']}/messages",
        {"client_id": "x", "body": "You look tired, come to the lake house"},
        expect=201,
    )
    await client.post(
        "/api/reports",
        json={
            "kind": "harassment",
            "target": {"kind": "message", "room_id": room["id"], "seq": sent["message"]["seq"]},
        },
        headers=lina.auth,
    )
    case_id = (await queue(client, officer))[0]["case_id"]
    await community.call(
        officer,
        "POST",
        f"/api/safety/cases/{case_id}/decision",
        {"decision": "warning", "reason": "spoke with her"},
        expect=200,
    )
    await erase(community, joy)
    case = await community.call(officer, "GET", f"/api/safety/cases/{case_id}", expect=200)
    assert {e["body"] for e in case["evidence"]} == {""}
