import httpx
import pytest

from backend.auth.rules import RuleViolation, check_password, check_pseudonym, pseudonym_key
from tests.conftest import PASSWORD, register


class TestPseudonymRules:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("Amara", "Amara"),
            ("  Rosa   Blue ", "Rosa Blue"),
            ("Ｎｏｏｒ", "Noor"),
            ("Ioana-3", "Ioana-3"),
        ],
    )
    def test_accepted_and_normalised(self, raw: str, expected: str) -> None:
        assert check_pseudonym(raw) == expected

    @pytest.mark.parametrize(
        "raw",
        [
            "ab",  # too short
            "x" * 33,  # too long
            "0612345678",  # phone
            "+33 6 12 34 56 78",
            "call 06 12 34 56 78 now",
            "amara@example.org",  # e-mail
            "amara (at) mail",
            "12345",  # no letter
            "Amara<script>",  # punctuation outside the allowed set
            "zero\u200bwidth",  # invisible characters
        ],
    )
    def test_refused(self, raw: str) -> None:
        with pytest.raises(RuleViolation):
            check_pseudonym(raw)

    def test_same_after_case_folding_and_nfkc(self) -> None:
        assert pseudonym_key("AMARA") == pseudonym_key("amara") == pseudonym_key("ａｍａｒａ")
        assert pseudonym_key("Straße") == pseudonym_key("STRASSE")


class TestPasswordRules:
    @pytest.mark.parametrize(
        "password", ["short", "password123", "1234567890", "qwertyuiop", "aaaaaaaaaaaa"]
    )
    def test_weak_refused(self, password: str) -> None:
        with pytest.raises(RuleViolation):
            check_password(password)

    def test_no_composition_rules(self) -> None:
        check_password("lantern river quietly")

    def test_pseudonym_inside_password_refused(self) -> None:
        with pytest.raises(RuleViolation):
            check_password("my name is amara ok", pseudonym="Amara")


class TestRegister:
    async def test_returns_ten_recovery_codes_once(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/auth/register", json={"pseudonym": "Rosa", "password": PASSWORD}
        )
        assert response.status_code == 201
        body = response.json()
        assert len(body["recovery_codes"]) == 10
        assert len(set(body["recovery_codes"])) == 10
        assert "safe" in body["recovery_codes_notice"]
        assert body["account"]["pseudonym"] == "Rosa"
        assert body["account"]["roles"] == []
        # The web client gets a cookie, never the token in the body.
        assert body["token"] is None
        assert "tandem_session" in response.cookies

    async def test_only_pseudonym_and_password_are_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/api/auth/register",
            json={"pseudonym": "Rosa", "password": PASSWORD, "email": "rosa@example.org"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {"email": "This field is not accepted here."}

    async def test_phone_like_pseudonym_refused_with_field_message(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/api/auth/register", json={"pseudonym": "06 12 34 56 78", "password": PASSWORD}
        )
        assert response.status_code == 422
        assert "phone number" in response.json()["error"]["fields"]["pseudonym"]

    async def test_common_password_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/auth/register", json={"pseudonym": "Rosa", "password": "iloveyou123"}
        )
        assert response.status_code == 422
        assert "common" in response.json()["error"]["fields"]["password"]

    async def test_taken_case_insensitively_and_after_nfkc(self, client: httpx.AsyncClient) -> None:
        await register(client, "Rosa")
        response = await client.post(
            "/api/auth/register", json={"pseudonym": "ＲＯＳＡ", "password": PASSWORD}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "pseudonym_taken"

    async def test_taken_answers_are_rate_limited(self, client: httpx.AsyncClient) -> None:
        await register(client, "Rosa")
        statuses = []
        for _ in range(11):
            response = await client.post(
                "/api/auth/register", json={"pseudonym": "rosa", "password": PASSWORD}
            )
            statuses.append(response.status_code)
        assert statuses[:10] == [409] * 10
        assert statuses[10] == 429
        # While limited, even a free pseudonym is not answered: probing stops.
        response = await client.post(
            "/api/auth/register", json={"pseudonym": "Fresh Name", "password": PASSWORD}
        )
        assert response.status_code == 429
