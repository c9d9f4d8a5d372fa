"""The relying party's side of OpenID Connect: discovery, the authorization code flow with
PKCE, and the ID token checks. It knows no organisation and no database.

authlib's httpx client builds the authorization URL and exchanges the code; joserfc
checks the ID token's signature against the provider's JWKS and its claims.
"""

import secrets
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

with warnings.catch_warnings():
    # authlib asks for the httpx2 package and falls back to httpx, which is what we use.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )

SCOPE = "openid email"
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
# Clocks drift; a minute either way is accepted on exp and iat.
LEEWAY_SECONDS = 60
# An ID token is used within moments of being issued; an older one is a replay.
MAX_ID_TOKEN_AGE_SECONDS = 600
HTTP_TIMEOUT_SECONDS = 10.0


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered something unusable."""


class IdTokenRefused(Exception):
    """The ID token, or the code it was exchanged for, is not acceptable."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Client:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


def new_secret_value() -> str:
    """A value for state, nonce or the PKCE verifier (43 characters, URL-safe)."""
    return secrets.token_urlsafe(32)


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc.__class__.__name__}") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return data


async def discover(issuer: str) -> ProviderMetadata:
    """Read ``{issuer}/.well-known/openid-configuration``; its issuer must be ours exactly."""
    data = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    try:
        metadata = ProviderMetadata(
            issuer=str(data["issuer"]),
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"discovery document lacks {exc}") from exc
    if metadata.issuer != issuer:
        raise ProviderUnavailable("discovery document names another issuer")
    return metadata


def _oauth_client(client: Client) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=SCOPE,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
    )


async def authorization_url(
    metadata: ProviderMetadata, client: Client, *, state: str, nonce: str, code_verifier: str
) -> str:
    async with _oauth_client(client) as oauth:
        url, _state = oauth.create_authorization_url(
            metadata.authorization_endpoint,
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
        )
    return str(url)


async def exchange_code(
    metadata: ProviderMetadata, client: Client, *, code: str, code_verifier: str
) -> str:
    """Trade the code for tokens and return the raw ID token."""
    try:
        async with _oauth_client(client) as oauth:
            token = await oauth.fetch_token(
                metadata.token_endpoint, code=code, code_verifier=code_verifier
            )
    except OAuthError as exc:
        raise IdTokenRefused(f"token endpoint refused the code: {exc.error}") from exc
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"token endpoint: {exc.__class__.__name__}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise IdTokenRefused("the provider returned no ID token")
    return id_token


async def fetch_keys(metadata: ProviderMetadata) -> KeySet:
    data = await _get_json(metadata.jwks_uri)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ProviderUnavailable("the provider's JWKS cannot be read") from exc


def validate_id_token(
    id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str, now: int
) -> dict[str, Any]:
    """Check signature, iss, aud (and azp), exp, iat and nonce; return the claims."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise IdTokenRefused(f"signature: {exc.__class__.__name__}") from exc
    claims = dict(token.claims)
    registry = JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise IdTokenRefused(f"claims: {exc.__class__.__name__} {exc}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdTokenRefused("claims: azp does not name this client")
    iat = claims["iat"]
    if not isinstance(iat, int) or iat < now - MAX_ID_TOKEN_AGE_SECONDS - LEEWAY_SECONDS:
        raise IdTokenRefused("claims: the token was issued too long ago")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise IdTokenRefused("claims: no subject")
    return claims
