"""Screening on stored messages: flags for a person, phone numbers held back from newcomers."""

from tests.backend.safeguarding.conftest import Community, queue
from tests.conftest import register


async def test_a_risky_message_raises_a_flag_not_a_block(community: Community) -> None:
    client, officer = community.client, community.officer
    lina, joy = await community.member("Lina"), await community.member("Joy")
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Circle"},
        expect=201,
    )
    for person in (lina, joy):
        await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    sent = await client.post(
        f"/api/rooms/{room['id']}/messages",
        json={"client_id": "a", "body": "Add me on WhatsApp, I have a job for you in Milan"},
        headers=joy.auth,
    )
    assert sent.status_code == 201
    assert sent.json()["message"]["body"] == "Add me on WhatsApp, I have a job for you in Milan"
    innocent = await client.post(
        f"/api/rooms/{room['id']}/messages",
        json={"client_id": "b", "body": "My phone died yesterday, sorry I missed the group"},
        headers=lina.auth,
    )
    assert innocent.status_code == 201
    cases = await queue(client, officer)
    assert [(c["source"], c["target_pseudonym"]) for c in cases] == [("signal", "Joy")]
    case = await community.call(
        officer, "GET", f"/api/safety/cases/{cases[0]['case_id']}", expect=200
    )
    rules = {e["signal_rule"] for e in case["evidence"]}
    assert "offer.job" in rules


async def test_phone_number_to_a_newcomer_is_held_until_released(community: Community) -> None:
    client, officer, ioana = community.client, community.officer, community.facilitator
    mira = await register(client, "Mira")
    chat = await community.call(
        ioana, "POST", "/api/welcome-conversations", {"account_id": str(mira.id)}, expect=201
    )
    sent = await client.post(
        f"/api/rooms/{chat['id']}/messages",
        json={"client_id": "n", "body": "You can call me on +39 347 123 4567 any time"},
        headers=ioana.auth,
    )
    assert sent.status_code == 201
    seq = sent.json()["message"]["seq"]
    seen = await community.call(mira, "GET", f"/api/rooms/{chat['id']}/messages", expect=200)
    assert "347" not in seen[0]["body"]
    cases = await queue(client, officer)
    case = await community.call(
        officer, "GET", f"/api/safety/cases/{cases[0]['case_id']}", expect=200
    )
    held = next(
        e for e in case["evidence"] if e["signal_rule"] == "withhold.phone_number_to_newcomers"
    )
    assert held["seq"] == seq
    assert "347" in held["body"]
    released = await community.call(
        officer, "POST", f"/api/safety/evidence/{held['id']}/release", expect=200
    )
    assert released == {"released": True}
    seen = await community.call(mira, "GET", f"/api/rooms/{chat['id']}/messages", expect=200)
    assert seen[0]["body"] == "You can call me on +39 347 123 4567 any time"


async def test_admins_switch_rules_off(community: Community) -> None:
    client, admin = community.client, community.admin
    rules = await community.call(admin, "GET", "/api/safety/signal-rules", expect=200)
    assert {r["id"] for r in rules} >= {"offer.job", "withhold.phone_number_to_newcomers"}
    await community.call(
        admin, "PUT", "/api/safety/signal-rules/offer.job", {"enabled": False}, expect=200
    )
    unknown = await client.put(
        "/api/safety/signal-rules/no.such.rule", json={"enabled": False}, headers=admin.auth
    )
    assert unknown.status_code == 404
    member_try = await client.get("/api/safety/signal-rules", headers=community.officer.auth)
    assert member_try.status_code == 403
    lina, joy = await community.member("Lina"), await community.member("Joy")
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Circle"},
        expect=201,
    )
    for person in (lina, joy):
        await community.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    await client.post(
        f"/api/rooms/{room['id']}/messages",
        json={"client_id": "a", "body": "I have a job for you in Milan"},
        headers=joy.auth,
    )
    assert await queue(client, community.officer) == []


async def test_a_phone_number_edited_in_is_held_back_too(community: Community) -> None:
    client, officer, ioana = community.client, community.officer, community.facilitator
    mira = await register(client, "Mira")
    chat = await community.call(
        ioana, "POST", "/api/welcome-conversations", {"account_id": str(mira.id)}, expect=201
    )
    sent = await community.call(
        ioana,
        "POST",
        f"/api/rooms/{chat['id']}/messages",
        {"client_id": "n", "body": "Hello, welcome!"},
        expect=201,
    )
    seq = sent["message"]["seq"]
    assert await queue(client, officer) == []
    await community.call(
        ioana,
        "PATCH",
        f"/api/rooms/{chat['id']}/messages/{seq}",
        {"body": "Hello, welcome! Call me on +39 347 123 4567"},
        expect=200,
    )
    seen = await community.call(mira, "GET", f"/api/rooms/{chat['id']}/messages", expect=200)
    assert "347" not in seen[0]["body"]
    cases = await queue(client, officer)
    assert [c["source"] for c in cases] == ["signal"]
