"""A partner checks a card offline with a JOSE library nobody here wrote (decision 0012).

Each library reads the key set from /.well-known/jwks.json as served, exactly as the
snippets in docs/membership.md do: PyJWT and jwcrypto in this process, panva's jose in
Node (tests/backend/membership/jose_verifier, pinned by its package-lock.json).
"""

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jwt as jwcrypto_jwt
from jwcrypto.common import JWException

from backend.membership.cards import CARD_TYPE, CardClaims, CardSigner
from tests.backend.membership.conftest import Community
from tests.backend.membership.test_mentoring_and_cards import approved_with_mentors

VERIFIER = Path(__file__).parent / "jose_verifier"
ACCEPTED = ["EdDSA", "Ed25519"]

JoseVerify = Callable[[dict[str, Any], list[str]], list[dict[str, Any]]]


def _npm_ci_needed() -> bool:
    lock = json.loads((VERIFIER / "package-lock.json").read_text())
    installed = VERIFIER / "node_modules" / "jose" / "package.json"
    if not installed.exists():
        return True
    wanted = lock["packages"]["node_modules/jose"]["version"]
    return bool(json.loads(installed.read_text())["version"] != wanted)


@pytest.fixture(scope="module")
def jose_verify() -> JoseVerify:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Node and npm are needed here; .ci/run installs Debian's nodejs and npm")
        pytest.skip("Node and npm are not installed")
    if _npm_ci_needed():
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
        for _attempt in range(2):  # one retry: a registry download may fail once
            done = subprocess.run(
                command, cwd=VERIFIER, capture_output=True, text=True, timeout=300, check=False
            )
            if done.returncode == 0:
                break
        else:
            pytest.fail(f"npm ci failed in {VERIFIER}: {done.stderr[-2000:]}")

    def verify(jwks: dict[str, Any], tokens: list[str]) -> list[dict[str, Any]]:
        done = subprocess.run(
            [node, str(VERIFIER / "verify.mjs")],
            input=json.dumps({"jwks": jwks, "tokens": tokens}),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        results: list[dict[str, Any]] = json.loads(done.stdout)
        return results

    return verify


def pyjwt_verify(jwks: dict[str, Any], token: str) -> dict[str, Any]:
    keys = jwt.PyJWKSet.from_dict(jwks)
    key = keys[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["EdDSA"], options={"require": ["exp", "num"]}
    )
    return claims


def jwcrypto_verify(jwks: dict[str, Any], token: str) -> dict[str, Any]:
    keys = jwcrypto_jwk.JWKSet.from_json(json.dumps(jwks))
    checked = jwcrypto_jwt.JWT(jwt=token, key=keys, algs=ACCEPTED, expected_type="JWS")
    claims: dict[str, Any] = json.loads(checked.claims)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "==")),
        json.loads(base64.urlsafe_b64decode(payload + "==")),
        signature,
    )


async def card_and_jwks(community: Community) -> tuple[dict[str, Any], dict[str, Any], Any]:
    _roots, applicant = await approved_with_mentors(community)
    card = await community.call(applicant, "GET", "/api/cards/me", expect=200)  # type: ignore[arg-type]
    response = await community.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return card, response.json(), applicant


async def online(community: Community, token: str) -> str:
    response = await community.client.post("/api/cards/verify", json={"token": token})
    assert response.status_code == 200
    result: str = response.json()["result"]
    return result


class TestPartnersVerifyOffline:
    async def test_a_card_verifies_with_pyjwt_jwcrypto_and_jose(
        self, community: Community, jose_verify: JoseVerify
    ) -> None:
        card, jwks, _ = await card_and_jwks(community)
        header, _claims, _sig = _parts(card["token"])
        assert (header["alg"], header["typ"]) == ("EdDSA", CARD_TYPE)
        # Keys name no alg: a key that named one would be refused under the other name.
        assert all("alg" not in key and key["crv"] == "Ed25519" for key in jwks["keys"])
        expected = {"num": card["number"], "psd": "Rosa"}
        for claims in (
            pyjwt_verify(jwks, card["token"]),
            jwcrypto_verify(jwks, card["token"]),
            jose_verify(jwks, [card["token"]])[0]["payload"],
        ):
            assert {k: claims[k] for k in expected} == expected
            assert claims["exp"] == int(datetime.fromisoformat(card["expires_at"]).timestamp())
        assert await online(community, card["token"]) == "valid"

    async def test_a_card_signed_under_the_rfc_9864_name_still_verifies(
        self, community: Community, jose_verify: JoseVerify
    ) -> None:
        # What the card page showed before decision 0012: the same key, alg "Ed25519".
        card, jwks, _ = await card_and_jwks(community)
        signer: CardSigner = community.app.state.card_signer
        header, claims, _sig = _parts(card["token"])
        header["alg"] = "Ed25519"
        earlier = jws.serialize_compact(
            header, json.dumps(claims).encode(), signer.current, algorithms=["Ed25519"]
        )
        assert await online(community, earlier) == "valid"
        assert jwcrypto_verify(jwks, earlier)["num"] == card["number"]
        [checked] = jose_verify(jwks, [earlier])
        assert (checked["ok"], checked["alg"]) == (True, "Ed25519")

    async def test_a_revoked_card_still_verifies_offline_but_reads_revoked_online(
        self, community: Community, jose_verify: JoseVerify
    ) -> None:
        card, jwks, _ = await card_and_jwks(community)
        await community.call(
            community.officer,
            "POST",
            f"/api/cards/{card['number']}/revocation",
            {"reason": "card was photographed by someone else"},
            expect=200,
        )
        # The signature cannot know: an offline check proves only that we issued it.
        assert pyjwt_verify(jwks, card["token"])["num"] == card["number"]
        assert jwcrypto_verify(jwks, card["token"])["num"] == card["number"]
        assert jose_verify(jwks, [card["token"]])[0]["ok"] is True
        assert await online(community, card["token"]) == "revoked"

    async def test_tampered_and_forged_cards_are_refused_by_each_library(
        self, community: Community, jose_verify: JoseVerify
    ) -> None:
        card, jwks, _ = await card_and_jwks(community)
        header, claims, signature = _parts(card["token"])
        claims["exp"] += 10 * 365 * 86400
        stretched = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        # Signed by someone else's key under our key id.
        foreign = jwt.encode(
            claims,
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": header["kid"], "typ": header["typ"]},
        )
        unsigned = _b64(json.dumps({**header, "alg": "none"}).encode())
        forgeries = {
            "payload changed": f"{stretched}.{signature}",
            "foreign key": foreign,
            "alg none": f"{unsigned}.{_b64(json.dumps(claims).encode())}.",
        }
        for name, token in forgeries.items():
            with pytest.raises(jwt.InvalidTokenError):
                pyjwt_verify(jwks, token)
            with pytest.raises((JWException, ValueError)):
                jwcrypto_verify(jwks, token)
            assert await online(community, token) == "unknown", name
        results = jose_verify(jwks, list(forgeries.values()))
        assert [r["ok"] for r in results] == [False, False, False], results
        assert results[0]["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"

    async def test_an_expired_card_is_refused_offline(
        self, community: Community, jose_verify: JoseVerify
    ) -> None:
        _card, jwks, _ = await card_and_jwks(community)
        signer: CardSigner = community.app.state.card_signer
        issued = datetime.now(UTC) - timedelta(days=400)
        token = signer.sign(
            CardClaims(
                number="AAAA-BBBB-CCCC",
                pseudonym="Rosa",
                issued_at=issued,
                expires_at=issued + timedelta(days=365),
            )
        )
        with pytest.raises(jwt.ExpiredSignatureError):
            pyjwt_verify(jwks, token)
        with pytest.raises(jwcrypto_jwt.JWTExpired):
            jwcrypto_verify(jwks, token)
        assert jose_verify(jwks, [token])[0]["code"] == "ERR_JWT_EXPIRED"
