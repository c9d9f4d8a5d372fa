"""Staff sign-in end to end: Tandem's HTTP API against panva's oidc-provider on 127.0.0.1.

The provider runs with its default settings: the e-mail is in userinfo, not in the ID
token; it announces RFC 9207's `iss` parameter; the client secret contains `+`.
What it cannot be made to do is in test_hand_written_provider.py.
"""

import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sqlmodel import select

from backend.auth.capabilities import Role
from backend.core.audit import AuditEntry
from backend.core.time import frozen_clock
from backend.main import create_app
from backend.sso.models import OrganisationSso, SsoLink
from backend.sso.service import secret_path
from tests.backend.sso.conftest import configure, new_organisation, sso_body
from tests.backend.sso.real_provider import (
    ACCOUNTS,
    CLIENT_ID,
    CLIENT_SECRET,
    EMPLOYEE,
    NodeProvider,
)
from tests.conftest import Person, grant, make_settings, person_with


def browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def start(
    web: httpx.AsyncClient,
    provider: NodeProvider,
    organisation_id: uuid.UUID,
    *,
    account: str = EMPLOYEE,
    cancel: bool = False,
) -> str:
    """Log in at the provider from Tandem's login redirect; return the callback URL."""
    login = await web.get(f"/api/sso/{organisation_id}/login")
    assert login.status_code == 302, login.text
    assert login.headers["location"].startswith(provider.issuer + "/auth?")
    callback = await provider.authorize(login.headers["location"], account=account, cancel=cancel)
    assert callback.startswith(f"http://localhost/api/sso/{organisation_id}/callback?")
    return callback


async def sign_in(
    app: FastAPI, provider: NodeProvider, organisation_id: uuid.UUID, account: str = EMPLOYEE
) -> httpx.Response:
    async with browser(app) as web:
        return await web.get(await start(web, provider, organisation_id, account=account))


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return parts._replace(query=urlencode(query)).geturl()


async def me_with(client: httpx.AsyncClient, response: httpx.Response) -> dict[str, object]:
    token = response.cookies["tandem_session"]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    body: dict[str, object] = me.json()
    return body


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert "tandem_session" not in response.cookies


async def refusals(app: FastAPI) -> list[str]:
    async with app.state.db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    return [e.details for e in entries if e.action == "sso.sign_in_refused"]


async def links(app: FastAPI) -> list[SsoLink]:
    async with app.state.db.session() as session:
        return list((await session.exec(select(SsoLink))).all())


def signing_keys(kid: str) -> dict[str, object]:
    key = RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"}, private=True)
    return {"keys": [key.as_dict(private=True)]}


class TestSignIn:
    async def test_first_sign_in_reads_the_email_from_userinfo_and_creates_a_staff_account(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        admin: Person,
        with_oidc_provider: uuid.UUID,
        oidc_provider: NodeProvider,
    ) -> None:
        other = await new_organisation(client, admin, "Another Charity")
        response = await sign_in(app, oidc_provider, with_oidc_provider)
        assert response.status_code == 302, response.text
        assert response.headers["location"] == "/"
        assert "HttpOnly" in response.headers["set-cookie"]
        me = await me_with(client, response)
        pseudonym = str(me["pseudonym"])
        assert pseudonym.startswith("Staff ")
        assert "sam" not in pseudonym.lower()
        roles = me["roles"]
        assert isinstance(roles, list)
        assert [(r["role"], r["organisation_id"]) for r in roles] == [
            ("professional", str(with_oidc_provider))
        ]
        assert str(other) not in str(roles)
        # Neither the e-mail address nor the provider's subject is stored in clear.
        stored = await links(app)
        assert len(stored) == 1
        assert stored[0].subject_hash != EMPLOYEE
        async with app.state.db.session() as session:
            entries = (await session.exec(select(AuditEntry))).all()
        text = " ".join(e.details for e in entries)
        assert ACCOUNTS[EMPLOYEE]["email"] not in text
        assert EMPLOYEE not in text
        assert "sso.signed_in" in {e.action for e in entries}

    async def test_second_sign_in_reuses_the_account_and_another_person_gets_her_own(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        with_oidc_provider: uuid.UUID,
        oidc_provider: NodeProvider,
    ) -> None:
        first = await me_with(client, await sign_in(app, oidc_provider, with_oidc_provider))
        again = await me_with(client, await sign_in(app, oidc_provider, with_oidc_provider))
        assert first["id"] == again["id"]
        assert len(again["roles"]) == 1  # type: ignore[arg-type]
        other = await sign_in(app, oidc_provider, with_oidc_provider, account="employee-0002")
        assert (await me_with(client, other))["id"] != first["id"]

    async def test_client_secret_post_when_the_provider_offers_only_that(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID
    ) -> None:
        # oidc-provider takes basic or post for either registration; the hand-written
        # provider checks that the announced one is the one used.
        with NodeProvider(
            client_auth_methods=["client_secret_post"],
            registered_auth_method="client_secret_post",
        ) as post_only:
            await configure(client, admin, organisation, post_only.issuer)
            response = await sign_in(app, post_only, organisation)
        assert response.status_code == 302, response.text
        assert "tandem_session" in response.cookies

    async def test_key_rotation_fetches_the_new_keys(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID
    ) -> None:
        with NodeProvider(jwks=signing_keys("2025-a")) as rotating:
            await configure(client, admin, organisation, rotating.issuer)
            first = await sign_in(app, rotating, organisation)
            assert first.status_code == 302, first.text
            # The old key is gone from the JWKS: tokens are signed with one Tandem never saw.
            rotating.restart(jwks=signing_keys("2025-b"))
            keys = httpx.get(f"{rotating.issuer}/jwks").json()["keys"]
            assert [k["kid"] for k in keys] == ["2025-b"]
            second = await sign_in(app, rotating, organisation)
        assert second.status_code == 302, second.text
        assert (await me_with(client, first))["id"] == (await me_with(client, second))["id"]


class TestRefusals:
    async def test_replayed_state_is_refused(
        self, app: FastAPI, with_oidc_provider: uuid.UUID, oidc_provider: NodeProvider
    ) -> None:
        async with browser(app) as web:
            callback = await start(web, oidc_provider, with_oidc_provider)
            assert (await web.get(callback)).status_code == 302
            assert_refused(await web.get(callback), 400, "sso_attempt_invalid")

    async def test_callback_from_another_browser_is_refused(
        self, app: FastAPI, with_oidc_provider: uuid.UUID, oidc_provider: NodeProvider
    ) -> None:
        async with browser(app) as web:
            callback = await start(web, oidc_provider, with_oidc_provider)
        async with browser(app) as someone_else:
            assert_refused(await someone_else.get(callback), 400, "sso_attempt_invalid")
        assert await links(app) == []

    async def test_code_issued_to_another_client_is_refused(
        self, app: FastAPI, with_oidc_provider: uuid.UUID, oidc_provider: NodeProvider
    ) -> None:
        theirs = await oidc_provider.code_for_another_client()
        async with browser(app) as web:
            callback = await start(web, oidc_provider, with_oidc_provider)
            assert_refused(await web.get(with_query(callback, code=theirs)), 401, "sso_refused")
        assert "invalid_grant" in (await refusals(app))[-1]
        assert await links(app) == []

    @pytest.mark.parametrize(
        ("shift", "reason"),
        [
            # The provider's ID tokens live an hour; Tandem's clock is past that.
            (timedelta(minutes=62), "expired"),
            # Still valid, but issued longer ago than a sign-in takes.
            (timedelta(minutes=15), "too long ago"),
            # Issued in Tandem's future, past the minute of leeway.
            (timedelta(minutes=-5), "in the future"),
        ],
        ids=["expired", "old", "future"],
    )
    async def test_id_token_outside_its_time_is_refused(
        self,
        app: FastAPI,
        with_oidc_provider: uuid.UUID,
        oidc_provider: NodeProvider,
        shift: timedelta,
        reason: str,
    ) -> None:
        with frozen_clock(datetime.now(UTC) + shift):
            response = await sign_in(app, oidc_provider, with_oidc_provider)
        assert_refused(response, 401, "sso_refused")
        assert reason in (await refusals(app))[-1]

    @pytest.mark.parametrize("account", ["outsider", "look-alike", "unverified"])
    async def test_email_outside_the_domain_or_unverified_is_refused(
        self,
        app: FastAPI,
        with_oidc_provider: uuid.UUID,
        oidc_provider: NodeProvider,
        account: str,
    ) -> None:
        response = await sign_in(app, oidc_provider, with_oidc_provider, account=account)
        assert_refused(response, 403, "sso_domain_refused")
        assert await links(app) == []

    async def test_cancelled_sign_in(
        self, app: FastAPI, with_oidc_provider: uuid.UUID, oidc_provider: NodeProvider
    ) -> None:
        async with browser(app) as web:
            callback = await start(web, oidc_provider, with_oidc_provider, cancel=True)
            assert "error=access_denied" in callback
            assert_refused(await web.get(callback), 400, "sso_cancelled")
            # The attempt is used up: the same state cannot be tried again.
            assert_refused(await web.get(callback), 400, "sso_attempt_invalid")

    async def test_iss_parameter_naming_another_provider_is_refused(
        self, app: FastAPI, with_oidc_provider: uuid.UUID, oidc_provider: NodeProvider
    ) -> None:
        async with browser(app) as web:
            callback = await start(web, oidc_provider, with_oidc_provider)
            assert dict(parse_qsl(urlsplit(callback).query))["iss"] == oidc_provider.issuer
            mixed_up = with_query(callback, iss="https://id.elsewhere.example")
            assert_refused(await web.get(mixed_up), 401, "sso_refused")
        assert "iss_parameter" in (await refusals(app))[-1]

    async def test_iss_parameter_missing_although_announced_is_refused(
        self, app: FastAPI, with_oidc_provider: uuid.UUID, oidc_provider: NodeProvider
    ) -> None:
        async with browser(app) as web:
            callback = await start(web, oidc_provider, with_oidc_provider)
            assert_refused(await web.get(with_query(callback, iss=None)), 401, "sso_refused")
        assert "iss missing" in (await refusals(app))[-1]

    async def test_provider_down(
        self, app: FastAPI, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID
    ) -> None:
        with NodeProvider() as failing:
            await configure(client, admin, organisation, failing.issuer)
            async with browser(app) as web:
                callback = await start(web, failing, organisation)
                failing.stop()
                assert_refused(await web.get(callback), 400, "sso_provider_unavailable")
                login = await web.get(f"/api/sso/{organisation}/login")
                assert_refused(login, 400, "sso_provider_unavailable")
        assert "provider_unavailable" in (await refusals(app))[-1]

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
        self, client: httpx.AsyncClient, with_oidc_provider: uuid.UUID
    ) -> None:
        url = f"/api/sso/{with_oidc_provider}/callback"
        assert_refused(await client.get(url), 400, "sso_attempt_invalid")
        response = await client.get(url, params={"state": "made-up", "code": "x"})
        assert_refused(response, 400, "sso_attempt_invalid")


class TestConfiguration:
    async def put(
        self, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID, issuer: str
    ) -> httpx.Response:
        return await client.put(
            f"/api/organisations/{organisation}/sso",
            json=sso_body(issuer, CLIENT_ID, CLIENT_SECRET),
            headers=admin.auth,
        )

    async def assert_issuer_refused(
        self, response: httpx.Response, client: httpx.AsyncClient, admin: Person, org: uuid.UUID
    ) -> str:
        assert response.status_code == 422, response.text
        message: str = response.json()["error"]["fields"]["issuer"]
        # Nothing was saved: no configuration, no secret file.
        shown = await client.get(f"/api/organisations/{org}/sso", headers=admin.auth)
        assert shown.status_code == 404
        return message

    async def test_issuer_with_a_trailing_slash_the_provider_does_not_write_is_refused(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        admin: Person,
        organisation: uuid.UUID,
        oidc_provider: NodeProvider,
    ) -> None:
        response = await self.put(client, admin, organisation, oidc_provider.issuer + "/")
        message = await self.assert_issuer_refused(response, client, admin, organisation)
        assert f'"{oidc_provider.issuer}", without a slash at the end' in message
        assert not secret_path(app.state.settings, organisation).exists()

    async def test_issuer_another_provider_names_itself_is_refused(
        self,
        client: httpx.AsyncClient,
        admin: Person,
        organisation: uuid.UUID,
        oidc_provider: NodeProvider,
    ) -> None:
        # Same provider, written with another loopback name than it uses for itself.
        issuer = oidc_provider.issuer.replace("127.0.0.1", "localhost")
        response = await self.put(client, admin, organisation, issuer)
        message = await self.assert_issuer_refused(response, client, admin, organisation)
        assert f'names itself "{oidc_provider.issuer}", not "{issuer}"' in message

    async def test_issuer_where_no_provider_answers_is_refused(
        self, client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID
    ) -> None:
        response = await self.put(client, admin, organisation, "http://127.0.0.1:9")
        message = await self.assert_issuer_refused(response, client, admin, organisation)
        assert "No OpenID provider answered at http://127.0.0.1:9/.well-known/" in message

    async def test_plain_http_loopback_needs_the_development_setting(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        admin: Person,
        with_oidc_provider: uuid.UUID,
        oidc_provider: NodeProvider,
        tmp_path: Path,
        database_url: str,
    ) -> None:
        # The same database and key, served as in production: the setting is off by default.
        production = create_app(make_settings(tmp_path, database_url))
        assert production.state.settings.sso_allow_http_loopback is False
        try:
            async with browser(production) as web:
                organisation = await new_organisation(web, admin, "Another Partner")
                response = await self.put(web, admin, organisation, oidc_provider.issuer)
                message = await self.assert_issuer_refused(response, web, admin, organisation)
                assert message == "An issuer is an https URL."
                # One saved while the setting was on is not used once it is off.
                login = await web.get(f"/api/sso/{with_oidc_provider}/login")
                assert_refused(login, 400, "sso_provider_unavailable")
        finally:
            await production.state.db.dispose()

    def test_the_development_setting_is_refused_in_production(
        self, tmp_path: Path, database_url: str
    ) -> None:
        with pytest.raises(ValidationError, match="sso_allow_http_loopback is for development"):
            make_settings(
                tmp_path, database_url, environment="production", sso_allow_http_loopback=True
            )

    async def test_only_admins_configure(
        self, app: FastAPI, client: httpx.AsyncClient, organisation: uuid.UUID, member: Person
    ) -> None:
        coordinator = await person_with(app, client, "Rosa", Role.MEMBER)
        await grant(app, coordinator, Role.COORDINATOR, organisation)
        body = sso_body("https://id.partner.example", "tandem", "x")
        url = f"/api/organisations/{organisation}/sso"
        for person in (member, coordinator):
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
        with_oidc_provider: uuid.UUID,
        oidc_provider: NodeProvider,
    ) -> None:
        settings = app.state.settings
        path = secret_path(settings, with_oidc_provider)
        assert path.parent == settings.secret_key_file.parent / "sso"
        assert path.read_text() == CLIENT_SECRET
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        url = f"/api/organisations/{with_oidc_provider}/sso"
        shown = await client.get(url, headers=admin.auth)
        assert shown.status_code == 200
        assert shown.json()["has_client_secret"] is True
        assert CLIENT_SECRET not in shown.text
        # Changing the roles without a secret keeps the stored one.
        changed = await client.put(
            url,
            json=sso_body(
                oidc_provider.issuer,
                CLIENT_ID,
                None,
                allowed_domain="Partner.Example",
                roles=["payroll", "coordinator"],
            ),
            headers=admin.auth,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["roles"] == ["coordinator", "payroll"]
        assert changed.json()["allowed_domain"] == "partner.example"
        assert path.read_text() == CLIENT_SECRET
        async with app.state.db.session() as session:
            row = await session.get(OrganisationSso, with_oidc_provider)
            entries = (await session.exec(select(AuditEntry))).all()
        assert row is not None
        assert CLIENT_SECRET not in str(row.model_dump())
        actions = [e.action for e in entries if e.subject == f"organisation:{with_oidc_provider}"]
        assert actions[-2:] == ["sso.configured", "sso.reconfigured"]
        assert all(CLIENT_SECRET not in e.details for e in entries)
        assert (await client.delete(url, headers=admin.auth)).status_code == 204
        assert not path.exists()
        assert (await client.get(f"/api/sso/{with_oidc_provider}/login")).status_code == 404

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
        body = sso_body("https://id.partner.example", "tandem", "x")
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
            json=sso_body("https://id.partner.example", "tandem", None),
            headers=admin.auth,
        )
        assert response.status_code == 422
        assert "client_secret" in response.json()["error"]["fields"]
