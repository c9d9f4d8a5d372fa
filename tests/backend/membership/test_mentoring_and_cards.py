import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from backend.auth.capabilities import Role
from backend.core.time import frozen_clock
from backend.mentoring.rules import Mentee, MentorCandidate, choose_mentor
from tests.backend.membership.conftest import Community, roots_of
from tests.conftest import grant


def candidate(name: str, **kw: object) -> MentorCandidate:
    values: dict[str, object] = {
        "account_id": uuid.uuid5(uuid.NAMESPACE_DNS, name),
        "pseudonym": name,
        "languages": frozenset({"en"}),
        "city": None,
        "region": None,
        "capacity": 2,
        "current_load": 0,
        "available": True,
        **kw,
    }
    return MentorCandidate(**values)  # type: ignore[arg-type]


MENTEE = Mentee(uuid.uuid4(), frozenset({"ro", "en"}), city="Lyon", region="Rhône")


class TestChooseMentor:
    def test_prefers_city_then_region_then_load(self) -> None:
        crafted = [
            candidate("Far Light", current_load=0),
            candidate("Region Busy", region="rhône", current_load=1),
            candidate("City Busy", city="lyon", current_load=1),
            candidate("City Free", city="Lyon", current_load=0),
        ]
        assert choose_mentor(MENTEE, crafted, set()).pseudonym == "City Free"  # type: ignore[union-attr]
        without_city = [c for c in crafted if c.city is None]
        assert choose_mentor(MENTEE, without_city, set()).pseudonym == "Region Busy"  # type: ignore[union-attr]

    def test_must_share_a_language_have_capacity_and_be_available(self) -> None:
        crafted = [
            candidate("French Only", languages=frozenset({"fr"}), city="Lyon"),
            candidate("Full", city="Lyon", capacity=1, current_load=1),
            candidate("Away", city="Lyon", available=False),
            candidate("Far Fine"),
        ]
        assert choose_mentor(MENTEE, crafted, set()).pseudonym == "Far Fine"  # type: ignore[union-attr]

    def test_excluded_and_self_never_chosen(self) -> None:
        blocked = candidate("Blocked", city="Lyon")
        herself = candidate("Herself", account_id=MENTEE.account_id, city="Lyon")
        assert choose_mentor(MENTEE, [blocked, herself], {blocked.account_id}) is None

    def test_ties_break_by_pseudonym(self) -> None:
        crafted = [candidate("Zoe"), candidate("anna"), candidate("Mia")]
        assert choose_mentor(MENTEE, crafted, set()).pseudonym == "anna"  # type: ignore[union-attr]


async def approved_with_mentors(community: Community) -> tuple[list, object]:  # type: ignore[type-arg]
    roots = await roots_of(community, 3)
    for root, city in zip(roots[:2], ("Lyon", "Paris"), strict=True):
        await grant(community.app, root, Role.MENTOR)
        await community.call(
            root, "PUT", "/api/mentor-profile", {"languages": ["en"], "city": city}, expect=200
        )
    applicant = await community.member("Rosa")
    await community.call(
        applicant, "PUT", "/api/membership/me/profile", {"languages": ["en"], "city": "Paris"}
    )
    vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
    for root in roots:
        await community.ballot(root, vote_id, "yes")
    return roots, applicant


class TestMentorships:
    async def test_approval_proposes_a_mentor_confirmed_by_a_coordinator(
        self, community: Community
    ) -> None:
        roots, applicant = await approved_with_mentors(community)
        proposed = await community.call(
            community.coordinator, "GET", "/api/mentorships/proposed", expect=200
        )
        assert [(m["mentor"], m["mentee"]) for m in proposed] == [("Root B", "Rosa")]
        override = await community.call(
            community.coordinator,
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/confirmation",
            {"mentor_id": str(roots[0].id)},
            expect=409,
        )
        assert "why" in override["error"]["message"]
        confirmed = await community.call(
            community.coordinator,
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/confirmation",
            {"mentor_id": str(roots[0].id), "reason": "Root A speaks her dialect"},
            expect=200,
        )
        assert confirmed["status"] == "active"
        assert confirmed["mentor"] == "Root A"
        mine = await community.call(applicant, "GET", "/api/mentorships")  # type: ignore[arg-type]
        assert mine[0]["i_am"] == "mentee"

    async def test_mentee_asks_for_another_mentor(self, community: Community) -> None:
        _roots, applicant = await approved_with_mentors(community)
        proposed = await community.call(community.coordinator, "GET", "/api/mentorships/proposed")
        await community.call(
            community.coordinator,
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/confirmation",
            {},
            expect=200,
        )
        change = await community.call(
            applicant,  # type: ignore[arg-type]
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/change-request",
            {"reason": "we do not get along"},
            expect=201,
        )
        assert change["status"] == "proposed"
        again = await community.call(community.coordinator, "GET", "/api/mentorships/proposed")
        assert again[0]["mentor"] == "Root A"  # never the one she left
        ends = await community.call(community.admin, "GET", "/api/audit?action=mentorship.ended")
        assert len(ends) == 1

    async def test_outsider_cannot_end_a_mentorship(self, community: Community) -> None:
        roots, _applicant = await approved_with_mentors(community)
        proposed = await community.call(community.coordinator, "GET", "/api/mentorships/proposed")
        response = await community.client.post(
            f"/api/mentorships/{proposed[0]['id']}/end",
            json={"reason": "meddling"},
            headers=roots[2].auth,
        )
        assert response.status_code == 404


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TestCards:
    async def test_card_verifies_offline_with_the_published_jwks(
        self, community: Community
    ) -> None:
        _roots, applicant = await approved_with_mentors(community)
        card = await community.call(applicant, "GET", "/api/cards/me", expect=200)  # type: ignore[arg-type]
        assert card["status"] == "valid"
        assert card["qr_svg"].startswith("<svg")
        jwks = (await community.client.get("/.well-known/jwks.json")).json()
        assert all("d" not in key for key in jwks["keys"])  # public halves only
        key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(card["token"])["kid"]]
        claims = jwt.decode(card["token"], key, algorithms=["EdDSA"])
        assert claims["num"] == card["number"]
        assert claims["psd"] == "Rosa"
        assert "legal" not in json.dumps(claims)
        online = await community.client.post("/api/cards/verify", json={"token": card["token"]})
        assert online.json()["result"] == "valid"
        assert set(online.json()) == {"result", "pseudonym", "status", "issued_at", "expires_at"}

    async def test_tampered_token_reads_as_unknown(self, community: Community) -> None:
        _roots, applicant = await approved_with_mentors(community)
        card = await community.call(applicant, "GET", "/api/cards/me")  # type: ignore[arg-type]
        header, payload, signature = card["token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["exp"] += 10 * 365 * 86400
        forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
        response = await community.client.post("/api/cards/verify", json={"token": forged})
        assert response.json() == {
            "result": "unknown",
            "pseudonym": None,
            "status": None,
            "issued_at": None,
            "expires_at": None,
        }

    async def test_revoked_by_safeguarding_and_on_suspension(self, community: Community) -> None:
        _roots, applicant = await approved_with_mentors(community)
        card = await community.call(applicant, "GET", "/api/cards/me")  # type: ignore[arg-type]
        await community.call(
            community.officer,
            "POST",
            f"/api/cards/{card['number']}/revocation",
            {"reason": "card was photographed by someone else"},
            expect=200,
        )
        result = await community.client.post("/api/cards/verify", json={"token": card["token"]})
        assert result.json()["result"] == "revoked"
        by_number = await community.client.post(
            "/api/cards/verify", json={"number": card["number"].replace("-", "").lower()}
        )
        assert by_number.json()["result"] == "revoked"

    async def test_expired_and_unknown(self, community: Community) -> None:
        _roots, applicant = await approved_with_mentors(community)
        card = await community.call(applicant, "GET", "/api/cards/me")  # type: ignore[arg-type]
        with frozen_clock(datetime.now(UTC) + timedelta(days=366)):
            expired = await community.client.post(
                "/api/cards/verify", json={"token": card["token"]}
            )
        assert expired.json()["result"] == "expired"
        unknown = await community.client.post(
            "/api/cards/verify", json={"number": "AAAA-BBBB-CCCC"}
        )
        assert unknown.json()["result"] == "unknown"

    async def test_suspension_revokes_the_card(self, community: Community) -> None:
        _roots, applicant = await approved_with_mentors(community)
        await community.call(
            community.officer,
            "POST",
            f"/api/members/{applicant.id}/status",  # type: ignore[attr-defined]
            {"status": "suspended", "reason": "under review after a report"},
            expect=200,
        )
        card = await community.call(applicant, "GET", "/api/cards/me")  # type: ignore[arg-type]
        assert card["status"] == "revoked"
        me = await community.call(applicant, "GET", "/api/me")  # type: ignore[arg-type]
        assert me["roles"] == []
