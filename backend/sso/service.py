"""Configuring an organisation's identity provider, and signing its staff in through it.

The provider is called over the network at login and callback. Those calls never happen
inside a database transaction: a slow provider must not hold SQLite's write lock. So the
two flows take the ``Database`` and open short sessions around the calls themselves.
"""

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import oidc
from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.auth.models import Account
from backend.core import audit
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.errors import InvalidInput
from backend.core.time import utc_now
from backend.organisation import service as organisation_service
from backend.organisation.models import Organisation
from backend.sso.errors import (
    DomainRefused,
    ProviderUnreachable,
    SignInAttemptInvalid,
    SignInCancelled,
    SignInRefused,
    SsoNotAvailable,
)
from backend.sso.models import OrganisationSso, SsoLink, SsoLoginAttempt

LOGIN_ATTEMPT_LIFETIME = timedelta(minutes=10)
_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"


# -- the client secret: a file beside the key file, never a column -----------------------


def secret_path(settings: Settings, organisation_id: uuid.UUID) -> Path:
    return settings.secret_key_file.parent / "sso" / f"{organisation_id}.secret"


def _write_secret_sync(path: Path, secret: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    os.replace(tmp, path)


def _read_secret_sync(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


async def read_client_secret(settings: Settings, organisation_id: uuid.UUID) -> str | None:
    return await to_thread.run_sync(_read_secret_sync, secret_path(settings, organisation_id))


# -- configuration (admins) ---------------------------------------------------------------


def roles_of(configuration: OrganisationSso) -> list[str]:
    return [r for r in configuration.roles.split(",") if r]


async def get_configuration(session: AsyncSession, organisation_id: uuid.UUID) -> OrganisationSso:
    configuration = await session.get(OrganisationSso, organisation_id)
    if configuration is None:
        raise SsoNotAvailable()
    return configuration


def _issuer_refused(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"issuer": message})


async def check_issuer(settings: Settings, issuer: str) -> oidc.ProviderMetadata:
    """The provider's own discovery document must name exactly this issuer, and offer a
    client authentication Tandem speaks: a near miss saved now would refuse every sign-in
    later, with nothing telling the admin why. A network call: never inside a transaction.
    """
    problem = oidc.url_problem(issuer, allow_http_loopback=settings.sso_allow_http_loopback)
    if problem is not None:
        raise _issuer_refused(problem)
    try:
        return await oidc.discover(issuer, allow_http_loopback=settings.sso_allow_http_loopback)
    except oidc.DiscoveryRefused as exc:
        raise _issuer_refused(str(exc)) from exc
    except oidc.ProviderUnavailable as exc:
        raise _issuer_refused(
            f"No OpenID provider answered at {oidc.discovery_url(issuer)}. Check the issuer, "
            "or save it again once the provider is up."
        ) from exc


async def configure(
    database: Database,
    settings: Settings,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    allowed_domain: str,
    roles: list[str],
) -> OrganisationSso:
    """Create or replace an organisation's sign-in; the secret goes to its own 0600 file.

    Precondition: the caller has no transaction open. The issuer is checked against the
    provider (a network call) between a short read and a short write.
    """
    async with database.session(write=False) as session:
        await organisation_service.get_organisation(session, organisation_id)
        configured_before = await session.get(OrganisationSso, organisation_id) is not None
    has_secret = await read_client_secret(settings, organisation_id) is not None
    if client_secret is None and (not configured_before or not has_secret):
        raise InvalidInput(
            "Give the client secret the provider issued.",
            fields={"client_secret": "Required the first time."},
        )
    await check_issuer(settings, issuer)
    async with database.session(write=True) as session:
        await organisation_service.get_organisation(session, organisation_id)
        configuration = await session.get(OrganisationSso, organisation_id)
        created = configuration is None
        if configuration is None:
            configuration = OrganisationSso(
                organisation_id=organisation_id,
                issuer=issuer,
                client_id=client_id,
                allowed_domain=allowed_domain,
                roles=",".join(roles),
                configured_at=utc_now(),
            )
        configuration.issuer = issuer
        configuration.client_id = client_id
        configuration.allowed_domain = allowed_domain
        configuration.roles = ",".join(roles)
        configuration.configured_by = actor_id
        configuration.configured_at = utc_now()
        session.add(configuration)
        await session.flush()
        await audit.record(
            session,
            actor_id=actor_id,
            action="sso.configured" if created else "sso.reconfigured",
            subject=f"organisation:{organisation_id}",
            details={
                "issuer": issuer,
                "client_id": client_id,
                "allowed_domain": allowed_domain,
                "roles": roles,
                "client_secret_changed": client_secret is not None,
            },
        )
        if client_secret is not None:
            # Last, so a refused change leaves the old secret in place.
            await to_thread.run_sync(
                _write_secret_sync, secret_path(settings, organisation_id), client_secret
            )
    return configuration


async def remove_configuration(
    session: AsyncSession, settings: Settings, *, actor_id: uuid.UUID, organisation_id: uuid.UUID
) -> None:
    configuration = await get_configuration(session, organisation_id)
    await session.delete(configuration)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="sso.removed",
        subject=f"organisation:{organisation_id}",
    )
    await to_thread.run_sync(lambda: secret_path(settings, organisation_id).unlink(missing_ok=True))


# -- signing in ---------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def subject_hash(key: bytes, issuer: str, subject: str) -> str:
    """Keyed, so the provider's identifier for a person is not readable from the database."""
    return hmac.new(key, f"{issuer}\n{subject}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Provider:
    configuration: OrganisationSso
    client_secret: str


async def _provider_for(
    database: Database, settings: Settings, organisation_id: uuid.UUID
) -> _Provider:
    """The organisation's sign-in, or 404 when it has none, is archived or does not exist."""
    async with database.session(write=False) as session:
        configuration = await session.get(OrganisationSso, organisation_id)
        if configuration is None:
            raise SsoNotAvailable()
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None or organisation.archived_at is not None:
            raise SsoNotAvailable()
    client_secret = await read_client_secret(settings, organisation_id)
    if client_secret is None:
        raise SsoNotAvailable()
    return _Provider(configuration, client_secret)


async def _discover(settings: Settings, issuer: str) -> oidc.ProviderMetadata:
    """Discovery at sign-in. A plain-http issuer saved while the development setting was on
    is not used once it is off."""
    allow_http = settings.sso_allow_http_loopback
    if oidc.url_problem(issuer, allow_http_loopback=allow_http) is not None:
        raise oidc.ProviderUnavailable("the issuer is not https")
    return await oidc.discover(issuer, allow_http_loopback=allow_http)


@dataclass(frozen=True)
class LoginStart:
    url: str
    browser_token: str


async def begin_login(
    database: Database, settings: Settings, *, organisation_id: uuid.UUID, redirect_uri: str
) -> LoginStart:
    """Record a one-time attempt (state, nonce, PKCE verifier) and build the provider's URL.

    ``browser_token`` goes into a cookie: the callback must come from the same browser, so
    nobody can sign someone else in by sending her a callback link.
    """
    provider = await _provider_for(database, settings, organisation_id)
    config = provider.configuration
    try:
        metadata = await _discover(settings, config.issuer)
    except oidc.ProviderUnavailable as exc:
        raise ProviderUnreachable() from exc
    state, nonce = oidc.new_secret_value(), oidc.new_secret_value()
    verifier, browser = oidc.new_secret_value(), oidc.new_secret_value()
    client = oidc.Client(config.issuer, config.client_id, provider.client_secret, redirect_uri)
    url = await oidc.authorization_url(
        metadata, client, state=state, nonce=nonce, code_verifier=verifier
    )
    now = utc_now()
    async with database.session(write=True) as session:
        await session.exec(
            delete(SsoLoginAttempt).where(
                col(SsoLoginAttempt.expires_at) < now - LOGIN_ATTEMPT_LIFETIME
            )
        )
        session.add(
            SsoLoginAttempt(
                organisation_id=organisation_id,
                state_hash=_digest(state),
                browser_hash=_digest(browser),
                nonce=nonce,
                code_verifier=verifier,
                redirect_uri=redirect_uri,
                created_at=now,
                expires_at=now + LOGIN_ATTEMPT_LIFETIME,
            )
        )
    return LoginStart(url=url, browser_token=browser)


async def _consume_attempt(
    database: Database, organisation_id: uuid.UUID, state: str, browser_token: str | None
) -> SsoLoginAttempt:
    """Mark the attempt used, in its own committed transaction, before anything else: a
    failure later on must not make the state or nonce usable again."""
    now = utc_now()
    async with database.session(write=True) as session:
        attempt = (
            await session.exec(
                select(SsoLoginAttempt)
                .where(SsoLoginAttempt.state_hash == _digest(state))
                .where(SsoLoginAttempt.organisation_id == organisation_id)
            )
        ).first()
        usable = attempt is not None and attempt.used_at is None and attempt.expires_at > now
        if attempt is not None and attempt.used_at is None:
            attempt.used_at = now
            session.add(attempt)
    same_browser = browser_token is not None and (
        attempt is not None and hmac.compare_digest(attempt.browser_hash, _digest(browser_token))
    )
    if attempt is None or not usable or not same_browser:
        raise SignInAttemptInvalid()
    return attempt


async def _record_refusal(
    database: Database, organisation_id: uuid.UUID, reason: str, detail: str
) -> None:
    async with database.session(write=True) as session:
        await audit.record(
            session,
            actor_id=None,
            action="sso.sign_in_refused",
            subject=f"organisation:{organisation_id}",
            details={"reason": reason, "detail": detail[:200]},
        )


def _email_domain_allowed(claims: dict[str, object], allowed_domain: str) -> bool:
    email = claims.get("email")
    if not isinstance(email, str) or email.count("@") != 1:
        return False
    if claims.get("email_verified") is False:
        return False
    return email.rsplit("@", 1)[1].strip().lower() == allowed_domain


async def _new_pseudonym(session: AsyncSession) -> str:
    """Neutral and generated: never the e-mail address or the name the provider holds."""
    while True:
        pseudonym = "Staff " + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(6))
        if await auth_service.get_account_by_pseudonym(session, pseudonym) is None:
            return pseudonym


async def _account_for(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    subject: str,
    roles: list[str],
) -> Account:
    now = utc_now()
    link = (
        await session.exec(
            select(SsoLink)
            .where(SsoLink.organisation_id == organisation_id)
            .where(SsoLink.subject_hash == subject)
        )
    ).first()
    if link is not None:
        account = await session.get(Account, link.account_id)
        if account is not None:
            link.last_signed_in_at = now
            session.add(link)
            return account
    account = await auth_service.create_account_without_password(
        session, pseudonym=await _new_pseudonym(session), actor_id=None, via="sso"
    )
    session.add(
        SsoLink(
            organisation_id=organisation_id,
            subject_hash=subject,
            account_id=account.id,
            created_at=now,
            last_signed_in_at=now,
        )
    )
    await session.flush()
    for role in roles:
        await auth_service.grant_role(
            session,
            actor_id=None,
            account_id=account.id,
            role=Role(role),
            organisation_id=organisation_id,
        )
    return account


async def _identity_claims(
    metadata: oidc.ProviderMetadata, tokens: oidc.Tokens, id_claims: dict[str, Any]
) -> dict[str, Any]:
    """The claims the domain check reads. Providers that follow OpenID Connect Core §5.4
    put claims asked for through a scope (`email`) in userinfo, not in the ID token; then
    the e-mail and whether it is verified both come from userinfo, whose `sub` must be
    the ID token's."""
    if "email" in id_claims:
        return id_claims
    userinfo = await oidc.fetch_userinfo(
        metadata, tokens.access_token, subject=str(id_claims["sub"])
    )
    return {
        **id_claims,
        "email": userinfo.get("email"),
        "email_verified": userinfo.get("email_verified"),
    }


async def complete_login(
    database: Database,
    settings: Settings,
    services: auth_service.AuthServices,
    *,
    organisation_id: uuid.UUID,
    state: str | None,
    code: str | None,
    iss: str | None,
    provider_error: str | None,
    browser_token: str | None,
) -> auth_service.IssuedSession:
    """Check everything the provider sent back and open a Tandem session.

    The attempt is used up first, whatever follows. Then: the response's `iss` (RFC 9207)
    must name the provider; the code is exchanged with the PKCE verifier, the ID token's
    signature is checked against the provider's JWKS, and iss, aud, exp, iat and the
    attempt's nonce are checked; the e-mail comes from the ID token or else from userinfo,
    and its domain is checked. The account is found by the provider's subject, or created
    with the configured roles.
    """
    provider = await _provider_for(database, settings, organisation_id)
    config = provider.configuration
    if not state:
        raise SignInAttemptInvalid()
    attempt = await _consume_attempt(database, organisation_id, state, browser_token)
    if iss is not None and iss != config.issuer:
        # Checked before anything else: an answer naming another provider is not ours to
        # act on, error or not (a mix-up attack).
        await _record_refusal(database, organisation_id, "iss_parameter", "another issuer")
        raise SignInRefused()
    if provider_error or not code:
        raise SignInCancelled()
    client = oidc.Client(
        config.issuer, config.client_id, provider.client_secret, attempt.redirect_uri
    )
    try:
        metadata = await _discover(settings, config.issuer)
        oidc.check_iss_parameter(metadata, iss)
        tokens = await oidc.exchange_code(
            metadata, client, code=code, code_verifier=attempt.code_verifier
        )
        keys = await oidc.fetch_keys(metadata)
        id_claims = oidc.validate_id_token(
            tokens.id_token,
            keys,
            issuer=config.issuer,
            client_id=config.client_id,
            nonce=attempt.nonce,
            now=int(utc_now().timestamp()),
        )
        claims = await _identity_claims(metadata, tokens, id_claims)
    except oidc.ProviderUnavailable as exc:
        await _record_refusal(database, organisation_id, "provider_unavailable", str(exc))
        raise ProviderUnreachable() from exc
    except oidc.IdTokenRefused as exc:
        await _record_refusal(database, organisation_id, "id_token_refused", str(exc))
        raise SignInRefused() from exc
    if not _email_domain_allowed(claims, config.allowed_domain):
        await _record_refusal(database, organisation_id, "email_domain", "")
        raise DomainRefused()
    async with database.session(write=True) as session:
        account = await _account_for(
            session,
            organisation_id=organisation_id,
            subject=subject_hash(services.secret, config.issuer, str(claims["sub"])),
            roles=roles_of(config),
        )
        issued = await auth_service.open_session(session, services, account)
        await audit.record(
            session,
            actor_id=account.id,
            action="sso.signed_in",
            subject=f"account:{account.id}",
            details={"organisation": str(organisation_id)},
        )
    return issued
