"""Staff sign-in end to end: Tandem's HTTP API, a real OpenID provider on 127.0.0.1."""

import stat
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from backend.auth.capabilities import Role
from backend.core.audit import AuditEntry
from backend.sso.models import OrganisationSso, SsoLink
from backend.sso.service import secret_path
from tests.backend.sso.conftest import new_organisation
from tests.backend.sso.oidc_provider import TestProvider
from tests.conftest import Person, person_with


def browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def start(web: httpx.AsyncClient, organisation_id: uuid.UUID) -> str:
    """Follow the login redirect to the provider; return the callback URL it sends back."""
    login = await web.get(f"/api/sso/{organisation_id}/login")
    assert login.status_code == 302, login.text
    async with httpx.AsyncClient() as outside:
        approved = await outside.get(login.headers["location"])
    assert approved.status_code == 302, approved.text
    callback = approved.headers["location"]
    assert callback.startswith(f"http://localhost/api/sso/{organisation_id}/callback?")
    return callback


async def sign_in(app: FastAPI, organisation_id: uuid.UUID) -> httpx.Response:
    async with browser(app) as web:
        return await web.get(await start(web, organisation_id))


async def me_with(client: httpx.AsyncClient, response: httpx.Response) -> dict[str, object]:
    token = response.cookies["tandem_session"]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    body: dict[str, object] = me.json()
    return body


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "tandem_session" not in response.cookies


async def last_refusal(app: FastAPI) -> str:
    async with app.state.db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    refusals = [e.details for e in entries if e.action == "sso.sign_in_refused"]
    return refusals[-1]


class TestSignIn:
    async def test_first_sign_in_creates_a_staff_account_in_that_organisation_only(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        admin: Person,
        configured: uuid.UUID,
        provider: TestProvider,
    ) -> None:
        other = await new_organisation(client, admin, "Another Charity")
        response = await sign_in(app, configured)
        assert response.status_code == 302, response.text
        assert response.headers["location"] == "/"
        assert "HttpOnly" in response.headers["set-cookie"]
        me = await me_with(client, response)
        pseudonym = str(me["pseudonym"])
        assert pseudonym.startswith("Staff ")
        assert "sam" not in pseudonym.lower()
        assert "@" not in pseudonym
        roles = me["roles"]
        assert isinstance(roles, list)
        assert [(r["role"], r["organisation_id"]) for r in roles] == [
            ("professional", str(configured))
        ]
        assert str(other) not in str(roles)
        # Neither the e-mail address nor the provider's subject is stored in clear.
        async with app.state.db.session() as session:
            links = (await session.exec(select(SsoLink))).all()
            entries = (await session.exec(select(AuditEntry))).all()
        assert len(links) == 1
        assert links[0].subject_hash != provider.subject
        text = " ".join(e.details for e in entries)
        assert provider.email not in text
        assert provider.subject not in text
        assert "sso.signed_in" in {e.action for e in entries}

    async def test_second_sign_in_reuses_the_account(
        self, app: FastAPI, client: httpx.AsyncClient, configured: uuid.UUID
    ) -> None:
        first = await me_with(client, await sign_in(app, configured))
        second = await me_with(client, await sign_in(app, configured))
        assert first["id"] == second["id"]
        assert len(second["roles"]) == 1  # type: ignore[arg-type]

    async def test_another_subject_gets_another_account(
        self, app: FastAPI, client: httpx.AsyncClient, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        first = await me_with(client, await sign_in(app, configured))
        provider.subject = "employee-0002"
        second = await me_with(client, await sign_in(app, configured))
        assert first["id"] != second["id"]


class TestRefusals:
    async def test_wrong_issuer(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.overrides = {"iss": "http://127.0.0.1:1/elsewhere"}
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "iss" in await last_refusal(app)

    async def test_expired_id_token(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        now = int(time.time())
        provider.overrides = {"iat": now - 400, "exp": now - 120}
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "expired" in await last_refusal(app)

    async def test_wrong_audience(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.overrides = {"aud": "another-client"}
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "aud" in await last_refusal(app)

    async def test_token_signed_with_another_key(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        from joserfc.jwk import RSAKey

        # Same key id as the published key, but not the key the JWKS holds.
        provider.signing_key = RSAKey.generate_key(2048, {"kid": provider.key.kid}, private=True)
        response = await sign_in(app, configured)
        assert_refused(response, 401, "sso_refused")

    async def test_replayed_state_is_refused(self, app: FastAPI, configured: uuid.UUID) -> None:
        async with browser(app) as web:
            callback = await start(web, configured)
            assert (await web.get(callback)).status_code == 302
            assert_refused(await web.get(callback), 400, "sso_attempt_invalid")

    async def test_replayed_nonce_is_refused(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        assert (await sign_in(app, configured)).status_code == 302
        provider.replay_last = True
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "nonce" in await last_refusal(app)

    async def test_callback_from_another_browser_is_refused(
        self, app: FastAPI, configured: uuid.UUID
    ) -> None:
        async with browser(app) as web:
            callback = await start(web, configured)
        async with browser(app) as someone_else:
            assert_refused(await someone_else.get(callback), 400, "sso_attempt_invalid")

    async def test_email_outside_the_allowed_domain(
        self, app: FastAPI, client: httpx.AsyncClient, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.email = "sam@partner.example.evil.test"
        assert_refused(await sign_in(app, configured), 403, "sso_domain_refused")
        provider.email = "sam@other.example"
        assert_refused(await sign_in(app, configured), 403, "sso_domain_refused")
        async with app.state.db.session() as session:
            assert (await session.exec(select(SsoLink))).all() == []

    async def test_unverified_email_is_refused(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.overrides = {"email_verified": False}
        assert_refused(await sign_in(app, configured), 403, "sso_domain_refused")

    async def test_organisation_without_sso_answers_404(
        self, client: httpx.AsyncClient, organisation: uuid.UUID
    ) -> None:
        for organisation_id in (organisation, uuid.uuid4()):
            login = await client.get(f"/api/sso/{organisation_id}/login")
            assert login.status_code == 404
            assert login.json()["error"]["code"] == "not_found"
            callback = await client.get(
                f"/api/sso/{organisation_id}/callback", params={"state": "x", "code": "y"}
            )
            assert callback.status_code == 404

    async def test_unknown_state_and_missing_parameters(
        self, client: httpx.AsyncClient, configured: uuid.UUID
    ) -> None:
        url = f"/api/sso/{configured}/callback"
        assert_refused(await client.get(url), 400, "sso_attempt_invalid")
        response = await client.get(url, params={"state": "made-up", "code": "x"})
        assert_refused(response, 400, "sso_attempt_invalid")

    async def test_provider_unreachable_is_a_clear_4xx(
        self, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID
    ) -> None:
        response = await client.put(
            f"/api/organisations/{organisation}/sso",
            json={
                "issuer": "http://127.0.0.1:9",
                "client_id": "tandem",
                "client_secret": "x",
                "allowed_domain": "partner.example",
                "roles": ["coordinator"],
            },
            headers=admin.auth,
        )
        assert response.status_code == 200
        login = await client.get(f"/api/sso/{organisation}/login")
        assert_refused(login, 400, "sso_provider_unavailable")


class TestConfiguration:
    async def test_only_admins_configure(
        self, app: FastAPI, client: httpx.AsyncClient, organisation: uuid.UUID, member: Person
    ) -> None:
        coordinator = await person_with(app, client, "Rosa", Role.MEMBER)
        from tests.conftest import grant

        await grant(app, coordinator, Role.COORDINATOR, organisation)
        body = {
            "issuer": "https://id.partner.example",
            "client_id": "tandem",
            "client_secret": "x",
            "allowed_domain": "partner.example",
            "roles": ["coordinator"],
        }
        for person in (member, coordinator):
            url = f"/api/organisations/{organisation}/sso"
            for response in (
                await client.put(url, json=body, headers=person.auth),
                await client.get(url, headers=person.auth),
                await client.delete(url, headers=person.auth),
            ):
                assert response.status_code == 403, response.text
        assert (await client.put(url, json=body)).status_code == 401

    async def test_secret_lives_in_a_0600_file_and_changes_are_audited(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        admin: Person,
        configured: uuid.UUID,
        provider: TestProvider,
    ) -> None:
        settings = app.state.settings
        path = secret_path(settings, configured)
        assert path.parent == settings.secret_key_file.parent / "sso"
        assert path.read_text() == provider.client_secret
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        url = f"/api/organisations/{configured}/sso"
        shown = await client.get(url, headers=admin.auth)
        assert shown.status_code == 200
        assert shown.json()["has_client_secret"] is True
        assert provider.client_secret not in shown.text
        # Changing the roles without a secret keeps the stored one.
        changed = await client.put(
            url,
            json={
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "allowed_domain": "Partner.Example",
                "roles": ["payroll", "coordinator"],
            },
            headers=admin.auth,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["roles"] == ["coordinator", "payroll"]
        assert changed.json()["allowed_domain"] == "partner.example"
        assert path.read_text() == provider.client_secret
        async with app.state.db.session() as session:
            row = await session.get(OrganisationSso, configured)
            entries = (await session.exec(select(AuditEntry))).all()
        assert row is not None
        assert provider.client_secret not in str(row.model_dump())
        actions = [e.action for e in entries if e.subject == f"organisation:{configured}"]
        assert actions[-2:] == ["sso.configured", "sso.reconfigured"]
        assert all(provider.client_secret not in e.details for e in entries)
        assert (await client.delete(url, headers=admin.auth)).status_code == 204
        assert not path.exists()
        assert (await client.get(f"/api/sso/{configured}/login")).status_code == 404

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("issuer", "http://id.partner.example"),
            ("issuer", "https://id.partner.example/?x=1"),
            ("allowed_domain", "not a domain"),
            ("roles", ["admin"]),
            ("roles", []),
        ],
    )
    async def test_invalid_configuration(
        self,
        client: httpx.AsyncClient,
        admin: Person,
        organisation: uuid.UUID,
        field: str,
        value: object,
    ) -> None:
        body: dict[str, object] = {
            "issuer": "https://id.partner.example",
            "client_id": "tandem",
            "client_secret": "x",
            "allowed_domain": "partner.example",
            "roles": ["coordinator"],
        }
        body[field] = value
        response = await client.put(
            f"/api/organisations/{organisation}/sso", json=body, headers=admin.auth
        )
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"]

    async def test_first_configuration_needs_a_secret(
        self, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID
    ) -> None:
        response = await client.put(
            f"/api/organisations/{organisation}/sso",
            json={
                "issuer": "https://id.partner.example",
                "client_id": "tandem",
                "allowed_domain": "partner.example",
                "roles": ["coordinator"],
            },
            headers=admin.auth,
        )
        assert response.status_code == 422
        assert "client_secret" in response.json()["error"]["fields"]
