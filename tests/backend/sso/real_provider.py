"""panva's oidc-provider (OpenID Certified), installed from npm and run by node on 127.0.0.1.

The version is pinned in provider/package-lock.json; `npm ci` installs it when
node_modules is missing or older than the lock file. Without node the tests that need it
are skipped with the reason, except in CI (CI=true), where that is a failure.

The person at the provider is played through its default development interaction forms
(log in as any account id, then consent), driven over HTTP with httpx.
"""

import base64
import hashlib
import json
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn, Self
from urllib.parse import urlencode, urljoin

import httpx
import pytest

PROVIDER_DIR = Path(__file__).parent / "provider"
STARTUP_SECONDS = 20
# oidc-provider 9 and its jose 6 need a recent Node.js; 20 is what these tests ran on.
NODE_MAJOR = 20

CLIENT_ID = "tandem"
# Every character here means something in form encoding or in the Basic header: a client
# that does not form-urlencode before Base64 (RFC 6749 §2.3.1) is refused as invalid_client.
CLIENT_SECRET = "s3cret+from/the=provider%2B:x"
# Tandem's callback names the organisation, new in each test.
CALLBACK_PATTERN = r"^http://localhost/api/sso/[0-9a-f-]{36}/callback$"

OTHER_CLIENT_ID = "another-client"
OTHER_CLIENT_SECRET = "another-secret"
OTHER_REDIRECT_URI = "http://localhost/another-app/callback"

EMPLOYEE = "employee-0001"
ACCOUNTS: dict[str, dict[str, Any]] = {
    EMPLOYEE: {"email": "sam.doe@partner.example", "email_verified": True},
    "employee-0002": {"email": "kim.roe@partner.example", "email_verified": True},
    "outsider": {"email": "sam@other.example", "email_verified": True},
    "look-alike": {"email": "sam@partner.example.evil.test", "email_verified": True},
    "unverified": {"email": "lee@partner.example", "email_verified": False},
}


def _cannot_run(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the tests against oidc-provider, but {reason}")
    pytest.skip(f"tests against oidc-provider skipped: {reason}")


def node_executable() -> str:
    """node's path; the calling test is skipped (failed in CI) without a usable one."""
    node = shutil.which("node")
    if node is None:
        _cannot_run("node is not installed (Debian's nodejs; .ci/run installs it)")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    found = re.match(r"v(\d+)\.", version)
    if found is None or int(found[1]) < NODE_MAJOR:
        _cannot_run(f"node {version or '?'} is older than {NODE_MAJOR}")
    return node


def install_provider() -> None:
    """`npm ci` from the lock file, unless node_modules is already newer than it."""
    installed = PROVIDER_DIR / "node_modules" / ".package-lock.json"
    lock = PROVIDER_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        _cannot_run("npm is not installed (.ci/run installs it)")
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    for attempt in (1, 2):
        done = subprocess.run(
            command, cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode == 0:
            return
        if attempt == 1:
            time.sleep(5)
    raise RuntimeError(f"npm ci failed in {PROVIDER_DIR}:\n{done.stderr[-2000:]}")


class NodeProvider:
    """One oidc-provider process. ``restart`` keeps the port, so the issuer stays the same."""

    def __init__(
        self,
        *,
        jwks: dict[str, Any] | None = None,
        client_auth_methods: list[str] | None = None,
        registered_auth_method: str = "client_secret_basic",
    ) -> None:
        self.node = node_executable()
        install_provider()
        self.port = 0
        self.issuer = ""
        self.options: dict[str, Any] = {
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": ["http://localhost/api/sso/registered/callback"],
                    "token_endpoint_auth_method": registered_auth_method,
                },
                {
                    "client_id": OTHER_CLIENT_ID,
                    "client_secret": OTHER_CLIENT_SECRET,
                    "redirect_uris": [OTHER_REDIRECT_URI],
                },
            ],
            "redirectUriPatterns": {CLIENT_ID: CALLBACK_PATTERN},
            "accounts": ACCOUNTS,
        }
        if jwks is not None:
            self.options["jwks"] = jwks
        if client_auth_methods is not None:
            self.options["clientAuthMethods"] = client_auth_methods
        self.process: subprocess.Popen[str] | None = None
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  # closed in close()

    def start(self) -> None:
        options = json.dumps({**self.options, "port": self.port})
        self.process = subprocess.Popen(
            [self.node, str(PROVIDER_DIR / "server.mjs"), options],
            cwd=PROVIDER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=STARTUP_SECONDS)
        line = self.process.stdout.readline() if ready else ""
        match = re.fullmatch(r"listening (http://127\.0\.0\.1:(\d+))\n", line)
        if match is None:
            self.stop()
            self.log.seek(0)
            raise RuntimeError(f"oidc-provider did not start: {line!r}\n{self.log.read()[-2000:]}")
        self.issuer, self.port = match[1], int(match[2])

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        assert process.stdin is not None
        process.stdin.close()  # server.mjs exits when its input ends
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()

    def restart(self, *, jwks: dict[str, Any] | None = None) -> None:
        self.stop()
        if jwks is not None:
            self.options["jwks"] = jwks
        self.start()

    def close(self) -> None:
        self.stop()
        self.log.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the person at the provider ------------------------------------------------------

    async def authorize(self, url: str, *, account: str = EMPLOYEE, cancel: bool = False) -> str:
        """Follow an authorization request through the provider's login and consent forms
        (or press its cancel link) and return where it sends the browser back."""
        async with httpx.AsyncClient(timeout=10) as browser:
            response = await browser.get(url)
            for _step in range(12):
                if response.is_redirect:
                    location = urljoin(str(response.url), response.headers["location"])
                    if not location.startswith(self.issuer + "/"):
                        return location
                    response = await browser.get(location)
                    continue
                prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
                assert response.status_code == 200, response.text
                assert prompt is not None, response.text
                if cancel:
                    response = await browser.get(f"{response.url}/abort")
                    continue
                form = {"prompt": prompt[1]}
                if prompt[1] == "login":
                    form |= {"login": account, "password": "any password"}
                response = await browser.post(str(response.url), data=form)
        raise AssertionError("the provider never sent the browser back")

    async def code_for_another_client(self) -> str:
        """A valid code the provider issued to another client than Tandem."""
        verifier = "v" * 43
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = urlencode(
            {
                "client_id": OTHER_CLIENT_ID,
                "response_type": "code",
                "scope": "openid email",
                "redirect_uri": OTHER_REDIRECT_URI,
                "state": "theirs",
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            }
        )
        back = await self.authorize(f"{self.issuer}/auth?{query}")
        found = re.search(r"[?&]code=([^&]+)", back)
        assert back.startswith(OTHER_REDIRECT_URI), back
        assert found is not None, back
        return found[1]
