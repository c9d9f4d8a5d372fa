"""A small OpenID Connect provider for the tests, served by uvicorn on 127.0.0.1.

It auto-approves every authorization request and issues ID tokens signed with its own RSA
key. Knobs on ``TestProvider`` let a test make the next ID token wrong in one way: what a
certified provider (real_provider.py) cannot be made to do.
"""

import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str


@dataclass
class TestProvider:
    __test__ = False

    issuer: str = ""
    client_id: str = "tandem"
    client_secret: str = "s3cret-from-the-provider"
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, {"kid": "provider-1"}, private=True)
    )
    # Sign the next ID tokens with this key instead of the published one.
    signing_key: RSAKey | None = None
    subject: str = "employee-0001"
    email: str = "sam.doe@partner.example"
    # Claims to change in the next ID tokens (e.g. {"iss": ...}); cleared by reset().
    overrides: dict[str, Any] = field(default_factory=dict)
    # Answer the next token request with the ID token issued last (a replay).
    replay_last: bool = False
    last_id_token: str | None = None
    # Leave the e-mail out of the ID token: the client must read it from userinfo.
    email_in_userinfo_only: bool = False
    # The `sub` userinfo answers with, when not the ID token's.
    userinfo_subject: str | None = None
    # The one client authentication announced and accepted at the token endpoint.
    client_auth_method: str = "client_secret_basic"
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.subject = "employee-0001"
        self.email = "sam.doe@partner.example"
        self.overrides = {}
        self.replay_last = False
        self.signing_key = None
        self.email_in_userinfo_only = False
        self.userinfo_subject = None
        self.client_auth_method = "client_secret_basic"

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "email": self.email,
            "email_verified": True,
            "name": "Sam Doe",
        }
        if self.email_in_userinfo_only:
            del claims["email"], claims["email_verified"]
        claims.update(self.overrides)
        key = self.signing_key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    # -- endpoints ----------------------------------------------------------------------

    async def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [self.client_auth_method],
            }
        )

    async def jwks(self, _request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if "openid" not in q.get("scope", "").split() or not q.get("nonce"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            client_id=q["client_id"],
            redirect_uri=q["redirect_uri"],
            nonce=q["nonce"],
            code_challenge=q["code_challenge"],
        )
        query = urlencode({"code": code, "state": q.get("state", "")})
        return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        if self.client_auth_method == "client_secret_post":
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        else:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            # RFC 6749 §2.3.1: both halves are form-urlencoded inside the Base64.
            pair = base64.b64decode(value).decode() if scheme.lower() == "basic" else ":"
            raw_id, _, raw_secret = pair.partition(":")
            client_id, client_secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.grants.pop(str(form.get("code", "")), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if challenge != grant.code_challenge:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if self.replay_last and self.last_id_token is not None:
            id_token = self.last_id_token
        else:
            id_token = self.id_token(grant)
            self.last_id_token = id_token
        access_token = secrets.token_urlsafe(16)
        self.access_tokens.add(access_token)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.access_tokens:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(
            {
                "sub": self.userinfo_subject or self.subject,
                "email": self.email,
                "email_verified": True,
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
            ]
        )


class RunningProvider:
    """The provider served on a free port of 127.0.0.1 from a thread of its own."""

    def __init__(self, provider: TestProvider) -> None:
        self.provider = provider
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        provider.issuer = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            provider.app(), log_level="warning", lifespan="off", ws="none", http="h11"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> TestProvider:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test OpenID provider did not start")
            time.sleep(0.02)
        return self.provider

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
