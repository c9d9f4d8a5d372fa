"""A rich account to export and erase: identity, referral note, messages, votes, card."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from backend.auth.capabilities import Role
from backend.membership import cards as card_service
from tests.backend.membership.conftest import Community, community, settings
from tests.conftest import Person, person_with

LEGAL_NAME = "Marguerite Oyelaran-Vantreight"
PSEUDONYM = "Quillfeather"
REFERRAL_NOTE = f"Met {LEGAL_NAME} at the night shelter on Rue Ostrava"
MY_TEXTS = (
    "My garden is the blue door behind the old tannery mill",
    "Thursday I will bring the lemon cake from Ilfracombe bakery",
)
EDITED_AWAY = "First draft about the amber bicycle in the courtyard"
DM_TEXT = "Between us: the harbour ferry at seven fifteen"
UNSEAL_REASON = "A partner shelter asks to confirm her identity for housing"
OTHER_TEXT = "Lina writes about the chestnut market on Saturdays"


@dataclass
class Rich:
    """Quillfeather and the people around her."""

    me: Person
    lina: Person
    room_id: str
    dm_id: str
    closed_vote: str
    open_vote: str
    candidates: list[Person] = field(default_factory=list)
    secrets: tuple[str, ...] = ()


@pytest.fixture
async def rich(community: Community) -> Rich:
    c = community
    for letter in "ABC":
        await c.founding_active(f"Root {letter}")
    root_a = c.roots[0]
    referral = await c.call(root_a, "POST", "/api/referrals", {"note": REFERRAL_NOTE}, expect=201)
    joined = await c.client.post(
        "/api/referrals/join",
        json={
            "pseudonym": PSEUDONYM,
            "password": "correct horse battery",
            "invitation_code": referral["invitation_code"],
            "client": "api",
        },
    )
    assert joined.status_code == 201, joined.text
    body = joined.json()
    me = Person(
        id=uuid.UUID(body["account"]["id"]),
        pseudonym=PSEUDONYM,
        password="correct horse battery",
        token=body["token"],
        recovery_codes=body["recovery_codes"],
    )
    await c.sign(me, "community_rules")
    await c.call(
        c.facilitator, "POST", f"/api/members/{me.id}/participation", {"note": "came"}, expect=200
    )
    await c.call(c.admin, "POST", f"/api/members/{me.id}/founding", expect=200)
    await c.sign(me, "active_member_rules")
    c.roots.append(me)
    await c.call(
        me,
        "PUT",
        "/api/identity/me",
        {"legal_name": LEGAL_NAME, "phone": "+33 6 12 34 56 78", "address": "4 Rue Ostrava"},
        expect=200,
    )
    await c.call(
        me, "PUT", "/api/membership/me/profile", {"languages": ["fr"], "city": "Lyon"}, expect=200
    )
    async with c.app.state.db.session() as session:
        await card_service.issue_card(
            session, c.app.state.card_signer, actor_id=None, account_id=me.id
        )

    # Rooms: a support group with her messages, one edited; a direct conversation.
    lina = await c.member("Lina")
    room = await c.call(
        c.facilitator, "POST", "/api/rooms", {"kind": "support_group", "name": "Tuesday"}, 201
    )
    for person in (me, lina):
        await c.call(person, "POST", f"/api/rooms/{room['id']}/join", expect=200)
    first = await c.call(
        me,
        "POST",
        f"/api/rooms/{room['id']}/messages",
        {"client_id": "q1", "body": EDITED_AWAY},
        expect=201,
    )
    await c.call(
        me,
        "PATCH",
        f"/api/rooms/{room['id']}/messages/{first['message']['seq']}",
        {"body": MY_TEXTS[0]},
        expect=200,
    )
    await c.call(
        me,
        "POST",
        f"/api/rooms/{room['id']}/messages",
        {"client_id": "q2", "body": MY_TEXTS[1]},
        expect=201,
    )
    await c.call(
        lina,
        "POST",
        f"/api/rooms/{room['id']}/messages",
        {"client_id": "l1", "body": OTHER_TEXT},
        expect=201,
    )
    dm = await c.call(me, "POST", "/api/direct-conversations", {"account_id": str(root_a.id)}, 201)
    await c.call(root_a, "POST", f"/api/rooms/{dm['id']}/accept", expect=200)
    await c.call(
        me, "POST", f"/api/rooms/{dm['id']}/messages", {"client_id": "d1", "body": DM_TEXT}, 201
    )
    starts = datetime.now(UTC) + timedelta(days=1)
    group_session = await c.call(
        c.facilitator,
        "POST",
        f"/api/rooms/{room['id']}/sessions",
        {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "topic": "Spring",
        },
        expect=201,
    )
    await c.call(
        c.facilitator,
        "PUT",
        f"/api/rooms/{room['id']}/sessions/{group_session['id']}/attendance",
        {"account_ids": [str(me.id)]},
        expect=200,
    )
    await c.call(me, "POST", "/api/blocks", {"account_id": str(lina.id)}, expect=201)

    # Votes: one closed (everyone voted), one still open with her ballot in it.
    one = await c.member("Candidate One")
    closed_vote = await c.open_vote(await c.application_ready_for_vote(one))
    for voter in c.roots:
        await c.ballot(voter, closed_vote, "yes")
    two = await c.member("Candidate Two")
    open_vote = await c.open_vote(await c.application_ready_for_vote(two))
    await c.ballot(me, open_vote, "no")
    await c.ballot(root_a, open_vote, "yes")

    # Two officers open her identity, with a reason she can read.
    selin = await person_with(c.app, c.client, "Selin", Role.SAFEGUARDING)
    request = await c.call(
        c.officer,
        "POST",
        "/api/identity/unseal-requests",
        {"account_id": str(me.id), "reason": UNSEAL_REASON},
        expect=201,
    )
    await c.call(selin, "POST", f"/api/identity/unseal-requests/{request['id']}/approve", {}, 200)
    await c.call(
        c.officer, "POST", f"/api/identity/unseal-requests/{request['id']}/open", None, 200
    )
    return Rich(
        me=me,
        lina=lina,
        room_id=room["id"],
        dm_id=dm["id"],
        closed_vote=closed_vote,
        open_vote=open_vote,
        candidates=[one, two],
        secrets=(LEGAL_NAME, PSEUDONYM, REFERRAL_NOTE, *MY_TEXTS, EDITED_AWAY, DM_TEXT),
    )


__all__ = ["Rich", "community", "rich", "settings"]
