"""From referral to active member with a mentor and a verified card, over HTTP only.

The only step outside HTTP is the first admin, made as `tandem create-admin` makes it.
"""

import httpx
import jwt
from fastapi import FastAPI

from backend.auth.capabilities import Role
from tests.conftest import PASSWORD, Person, grant, register


async def test_referral_to_active_member(app: FastAPI, client: httpx.AsyncClient) -> None:
    async def call(
        person: Person | dict[str, str],
        method: str,
        path: str,
        body: object = None,
        expect: int = 200,
    ) -> object:
        headers = person.auth if isinstance(person, Person) else person
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == expect, (method, path, response.text)
        return response.json() if response.content else None

    admin = await register(client, "Amara")
    await grant(app, admin, Role.ADMIN)

    # The admin sets up the community: rules, criteria, an organisation, staff roles.
    for kind, text in (
        ("community_rules", "Be kind. What is said here stays here. Never share identities."),
        ("active_member_rules", "Active members welcome newcomers and keep confidences."),
    ):
        await call(
            admin,
            "POST",
            "/api/agreements",
            {"kind": kind, "language": "en", "title": "Rules", "body": text},
            201,
        )
    criterion = await call(
        admin,
        "POST",
        "/api/criteria",
        {"title": "Listens", "description": "Listens without judging."},
        201,
    )
    await call(admin, "PUT", "/api/membership/rules", {"min_active_days_to_vote": 0})
    harbour = await call(
        admin, "POST", "/api/organisations", {"name": "Harbour Outreach", "kind": "both"}, 201
    )

    people = {}
    for name, role, org in (
        ("Claire", "coordinator", harbour["id"]),  # type: ignore[index]
        ("Ioana", "facilitator", None),
        ("Tess", "roots_coordinator", None),
    ):
        people[name] = await register(client, name)
        body = {"role": role, **({"organisation_id": org} if org else {})}
        await call(admin, "POST", f"/api/accounts/{people[name].id}/roles", body, 201)

    # Three founding Roots, each a member first, one of them a mentor in Lyon.
    roots = []
    for name in ("Root A", "Root B", "Root C"):
        person = await register(client, name)
        await call(
            person,
            "POST",
            "/api/agreements/community_rules/signatures",
            {"version": 1, "language": "en"},
            201,
        )
        await call(people["Ioana"], "POST", f"/api/members/{person.id}/participation", {})
        await call(admin, "POST", f"/api/members/{person.id}/founding")
        await call(
            person,
            "POST",
            "/api/agreements/active_member_rules/signatures",
            {"version": 1, "language": "en"},
            201,
        )
        roots.append(person)
    await call(admin, "POST", f"/api/accounts/{roots[0].id}/roles", {"role": "mentor"}, 201)
    await call(roots[0], "PUT", "/api/mentor-profile", {"languages": ["en"], "city": "Lyon"})

    # 1. Referral by the partner charity's coordinator.
    referral = await call(
        people["Claire"],
        "POST",
        "/api/referrals",
        {"organisation_id": harbour["id"], "note": "Met at the drop-in."},  # type: ignore[index]
        201,
    )
    # 2. She joins with the code, vouched, and signs the rules.
    joined = await client.post(
        "/api/referrals/join",
        json={
            "pseudonym": "Rosa",
            "password": PASSWORD,
            "invitation_code": referral["invitation_code"],
            "client": "api",
        },
    )  # type: ignore[index]
    assert joined.status_code == 201
    rosa = {"Authorization": f"Bearer {joined.json()['token']}"}
    rosa_id = joined.json()["account"]["id"]
    me = await call(rosa, "GET", "/api/membership/me")
    assert (me["status"], me["vouched"]) == ("newcomer", True)  # type: ignore[index]
    await call(rosa, "PUT", "/api/membership/me/profile", {"languages": ["en"], "city": "Lyon"})
    await call(
        rosa,
        "POST",
        "/api/agreements/community_rules/signatures",
        {"version": 1, "language": "en"},
        201,
    )
    # 3. She takes part; the facilitator confirms; she is a member.
    await call(people["Ioana"], "POST", f"/api/members/{rosa_id}/participation", {})
    assert (await call(rosa, "GET", "/api/membership/me"))["status"] == "member"  # type: ignore[index]

    # 4. She applies; Roots interview her; she signs the active-member rules.
    application = await call(
        rosa, "POST", "/api/applications", {"motivation": "I want to help newcomers."}, 201
    )
    app_id = application["id"]  # type: ignore[index]
    await call(
        people["Tess"],
        "PUT",
        f"/api/applications/{app_id}/interviewers",
        {"interviewer_ids": [str(roots[1].id)]},
    )
    await call(
        roots[1],
        "PUT",
        f"/api/applications/{app_id}/report",
        {
            "summary": "Warm, reliable, already helps at the Tuesday group.",
            "assessments": [{"criterion_id": criterion["id"], "assessment": "meets"}],
        },
    )  # type: ignore[index]
    await call(
        rosa,
        "POST",
        "/api/agreements/active_member_rules/signatures",
        {"version": 1, "language": "en"},
        201,
    )

    # 5. The Roots vote; everyone votes, so it closes at once.
    vote = await call(people["Tess"], "POST", f"/api/applications/{app_id}/votes", {}, 201)
    for root in roots:
        result = await call(root, "PUT", f"/api/votes/{vote['id']}/ballot", {"choice": "yes"})  # type: ignore[index]
    assert result["outcome"] == "approved"  # type: ignore[index]
    mine = await call(rosa, "GET", f"/api/applications/{app_id}")
    assert mine["status"] == "approved"  # type: ignore[index]
    assert mine["report"] is None  # type: ignore[index]

    # 6. Active, with a mentor confirmed and a card that verifies.
    me = await call(rosa, "GET", "/api/membership/me")
    assert me["status"] == "active"  # type: ignore[index]
    proposed = await call(people["Tess"], "GET", "/api/mentorships/proposed")
    assert proposed[0]["mentor"] == "Root A"  # type: ignore[index]
    await call(people["Tess"], "POST", f"/api/mentorships/{proposed[0]['id']}/confirmation", {})  # type: ignore[index]
    mentorships = await call(rosa, "GET", "/api/mentorships")
    assert [(m["mentor"], m["status"]) for m in mentorships] == [("Root A", "active")]  # type: ignore[union-attr]
    card = await call(rosa, "GET", "/api/cards/me")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(card["token"])["kid"]]  # type: ignore[index]
    jwt.decode(card["token"], key, algorithms=["EdDSA"])  # type: ignore[index]
    verified = (await client.post("/api/cards/verify", json={"token": card["token"]})).json()  # type: ignore[index]
    assert (verified["result"], verified["pseudonym"]) == ("valid", "Rosa")
    # She now holds the active member's capabilities.
    profile = await call(rosa, "GET", "/api/me")
    assert "membership:vote" in profile["capabilities"]  # type: ignore[index]
    chain = await call(admin, "GET", "/api/audit/verify")
    assert chain["intact"] is True  # type: ignore[index]
