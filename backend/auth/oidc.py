"""The relying party's side of OpenID Connect: discovery, the authorization code flow with
PKCE, the ID token checks and userinfo. It knows no organisation and no database.

authlib's httpx client builds the authorization URL and exchanges the code; joserfc
checks the ID token's signature against the provider's JWKS and its claims.
"""

import base64
import secrets
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlsplit

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
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The two ways of sending the client secret Tandem speaks, in the order it prefers them.
# A provider that lists neither cannot be used; one that lists none at all means basic
# (OpenID Connect Discovery 1.0, §3).
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered something unusable."""


class DiscoveryRefused(ProviderUnavailable):
    """The provider answered, but its discovery document does not fit this configuration.

    The message is meant for the admin who typed the issuer: it says what to change.
    """


class IdTokenRefused(Exception):
    """The ID token, or the code it was exchanged for, is not acceptable."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    # The client authentication Tandem uses at the token endpoint, from CLIENT_AUTH_METHODS.
    token_endpoint_auth_method: str
    # RFC 9207: the provider adds `iss` to every authorization response.
    sends_iss_parameter: bool


@dataclass(frozen=True)
class Client:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str | None


def new_secret_value() -> str:
    """A value for state, nonce or the PKCE verifier (43 characters, URL-safe)."""
    return secrets.token_urlsafe(32)


def url_problem(url: str, *, allow_http_loopback: bool) -> str | None:
    """Why a provider's URL may not be used, or None. https only: plain http would hand
    the code and the tokens to anyone on the path. Plain http to this machine itself is
    for development and tests, when the setting allows it."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and allow_http_loopback:
        return None
    return "An issuer is an https URL."


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


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _issuer_mismatch(configured: str, announced: str) -> str:
    if configured.rstrip("/") == announced.rstrip("/"):
        ending = "with" if announced.endswith("/") else "without"
        return (
            f'The provider names itself "{announced}", {ending} a slash at the end. '
            "Save the issuer exactly as the provider writes it."
        )
    return (
        f'The provider at this address names itself "{announced}", not "{configured}". '
        "Save the issuer exactly as the provider writes it."
    )


def _client_auth_method(data: dict[str, Any]) -> str:
    offered = data.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    if not isinstance(offered, list):
        raise DiscoveryRefused(
            "The provider's token_endpoint_auth_methods_supported is not a list."
        )
    for method in CLIENT_AUTH_METHODS:
        if method in offered:
            return method
    raise DiscoveryRefused(
        "The provider accepts neither client_secret_basic nor client_secret_post at its "
        "token endpoint; Tandem signs in with a client secret sent one of these two ways."
    )


async def discover(issuer: str, *, allow_http_loopback: bool) -> ProviderMetadata:
    """Read the provider's discovery document. Its issuer must be ours exactly (OpenID
    Connect Discovery §4.3): the ID tokens will carry that string, and a near miss such as
    a trailing slash would refuse every sign-in later."""
    data = await _get_json(discovery_url(issuer))
    announced = data.get("issuer")
    if not isinstance(announced, str):
        raise DiscoveryRefused("The provider's discovery document names no issuer.")
    if announced != issuer:
        raise DiscoveryRefused(_issuer_mismatch(issuer, announced))
    endpoints: dict[str, str | None] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        value = data.get(name)
        if value is None and name == "userinfo_endpoint":
            endpoints[name] = None
            continue
        if not isinstance(value, str):
            raise DiscoveryRefused(f"The provider's discovery document lacks {name}.")
        if url_problem(value, allow_http_loopback=allow_http_loopback) is not None:
            raise DiscoveryRefused(f"The provider's {name} is not an https URL.")
        endpoints[name] = value
    return ProviderMetadata(
        issuer=announced,
        authorization_endpoint=str(endpoints["authorization_endpoint"]),
        token_endpoint=str(endpoints["token_endpoint"]),
        jwks_uri=str(endpoints["jwks_uri"]),
        userinfo_endpoint=endpoints["userinfo_endpoint"],
        token_endpoint_auth_method=_client_auth_method(data),
        sends_iss_parameter=data.get("authorization_response_iss_parameter_supported") is True,
    )


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The Authorization header for client_secret_basic. RFC 6749 §2.3.1: the id and the
    secret are form-urlencoded (Appendix B) before Base64, so a `+`, `:` or `%` in a secret
    reaches the provider as itself; authlib leaves them raw."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _encode_client_secret_basic(
    client: Any, _method: str, uri: str, headers: dict[str, str], body: str
) -> tuple[str, dict[str, str], str]:
    headers["Authorization"] = basic_authorization(client.client_id, client.client_secret)
    return uri, headers, body


def _oauth_client(client: Client, auth_method: str = "client_secret_basic") -> AsyncOAuth2Client:
    oauth = AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=SCOPE,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    oauth.register_client_auth_method(("client_secret_basic", _encode_client_secret_basic))
    return oauth


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


def check_iss_parameter(metadata: ProviderMetadata, iss: str | None) -> None:
    """RFC 9207 §2.4: an `iss` in the authorization response must name the provider the
    request went to, and a provider that announces the parameter must send it."""
    if iss is None:
        if metadata.sends_iss_parameter:
            raise IdTokenRefused("authorization response: iss missing")
        return
    if iss != metadata.issuer:
        raise IdTokenRefused("authorization response: iss names another provider")


async def exchange_code(
    metadata: ProviderMetadata, client: Client, *, code: str, code_verifier: str
) -> Tokens:
    """Trade the code for tokens, authenticating as the discovery document asks."""
    try:
        async with _oauth_client(client, metadata.token_endpoint_auth_method) as oauth:
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
    access_token = token.get("access_token")
    return Tokens(id_token, access_token if isinstance(access_token, str) else None)


async def fetch_userinfo(
    metadata: ProviderMetadata, access_token: str | None, *, subject: str
) -> dict[str, Any]:
    """The userinfo endpoint's claims (OpenID Connect Core §5.3). Its `sub` must be the
    ID token's: otherwise the answer may be about someone else and is not used (§5.3.2)."""
    if metadata.userinfo_endpoint is None or access_token is None:
        raise IdTokenRefused("userinfo: the provider offers no userinfo endpoint or no token")
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            response = await http.get(
                metadata.userinfo_endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"userinfo: {exc.__class__.__name__}") from exc
    if response.status_code in (401, 403):
        raise IdTokenRefused(f"userinfo: refused the access token ({response.status_code})")
    if response.is_error:
        raise ProviderUnavailable(f"userinfo: HTTP {response.status_code}")
    if not response.headers.get("content-type", "").startswith("application/json"):
        # A signed or encrypted userinfo answer is something this client never registers for.
        raise IdTokenRefused("userinfo: not a JSON answer")
    try:
        claims = response.json()
    except ValueError as exc:
        raise ProviderUnavailable("userinfo: not JSON") from exc
    if not isinstance(claims, dict):
        raise ProviderUnavailable("userinfo: not a JSON object")
    if claims.get("sub") != subject:
        raise IdTokenRefused("userinfo: sub is not the ID token's")
    return claims


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
