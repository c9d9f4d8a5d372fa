"""What a certified provider cannot be made to send: ID tokens wrong in one way, a userinfo
answer about someone else, the e-mail in the ID token itself, and a token endpoint strict
about the one client authentication it announces (oidc-provider takes either).

The hand-written provider (oidc_provider.py) serves them on 127.0.0.1.
"""

import uuid

import httpx
from fastapi import FastAPI
from joserfc.jwk import KeyParameters, RSAKey
from sqlmodel import select

from backend.core.audit import AuditEntry
from tests.backend.sso.conftest import sso_body
from tests.backend.sso.oidc_provider import TestProvider
from tests.conftest import Person


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
    return approved.headers["location"]


async def sign_in(app: FastAPI, organisation_id: uuid.UUID) -> httpx.Response:
    async with browser(app) as web:
        return await web.get(await start(web, organisation_id))


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "tandem_session" not in response.cookies


async def last_refusal(app: FastAPI) -> str:
    async with app.state.db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    refusals = [str(e.details) for e in entries if e.action == "sso.sign_in_refused"]
    return refusals[-1]


class TestEmailInTheIdToken:
    async def test_email_in_the_id_token_needs_no_userinfo(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.userinfo_subject = "someone-else"  # would refuse, were userinfo read
        response = await sign_in(app, configured)
        assert response.status_code == 302, response.text
        assert "tandem_session" in response.cookies


class TestClientAuthentication:
    async def test_the_method_the_provider_announces_is_used(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.client_auth_method = "client_secret_post"
        response = await sign_in(app, configured)
        assert response.status_code == 302, response.text
        assert "tandem_session" in response.cookies

    async def test_a_provider_without_basic_or_post_cannot_be_saved(
        self,
        client: httpx.AsyncClient,
        admin: Person,
        organisation: uuid.UUID,
        provider: TestProvider,
    ) -> None:
        provider.client_auth_method = "private_key_jwt"
        response = await client.put(
            f"/api/organisations/{organisation}/sso",
            json=sso_body(provider.issuer, provider.client_id, provider.client_secret),
            headers=admin.auth,
        )
        assert response.status_code == 422, response.text
        message = response.json()["error"]["fields"]["issuer"]
        assert "neither client_secret_basic nor client_secret_post" in message


class TestUserinfo:
    async def test_userinfo_about_another_subject_is_not_used(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.email_in_userinfo_only = True
        provider.userinfo_subject = "employee-0666"
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "userinfo: sub" in await last_refusal(app)

    async def test_userinfo_with_the_same_subject_is_used(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.email_in_userinfo_only = True
        provider.email = "sam@other.example"
        assert_refused(await sign_in(app, configured), 403, "sso_domain_refused")
        provider.email = "sam.doe@partner.example"
        assert (await sign_in(app, configured)).status_code == 302


class TestIdTokenRefusals:
    async def test_wrong_issuer(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.overrides = {"iss": "http://127.0.0.1:1/elsewhere"}
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "iss" in await last_refusal(app)

    async def test_wrong_audience(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.overrides = {"aud": "another-client"}
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "aud" in await last_refusal(app)

    async def test_several_audiences_without_azp(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        provider.overrides = {"aud": [provider.client_id, "another-client"]}
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "azp" in await last_refusal(app)

    async def test_token_signed_with_another_key_under_the_published_key_id(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        same_kid: KeyParameters = {"kid": str(provider.key.kid)}
        provider.signing_key = RSAKey.generate_key(2048, same_kid, private=True)
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "signature" in await last_refusal(app)

    async def test_replayed_id_token_fails_on_its_nonce(
        self, app: FastAPI, configured: uuid.UUID, provider: TestProvider
    ) -> None:
        assert (await sign_in(app, configured)).status_code == 302
        provider.replay_last = True
        assert_refused(await sign_in(app, configured), 401, "sso_refused")
        assert "nonce" in await last_refusal(app)
