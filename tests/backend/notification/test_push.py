"""Web Push against a real HTTP server on 127.0.0.1 standing in for a push service: the
payload is decrypted with the subscription's own keys and is always the same text."""

import base64
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.core.config import Settings
from backend.notification import producers
from backend.notification.push import PUSH_TEXT
from tests.conftest import Person, make_settings, person_with

PORTS = range(18300, 18400)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, push_enabled=True)


class PushService(ThreadingHTTPServer):
    received: list[tuple[str, dict[str, str], bytes]]


class Handler(BaseHTTPRequestHandler):
    server: PushService

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.received.append((self.path, headers, body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = None
    for port in PORTS:
        try:
            service = PushService(("127.0.0.1", port), Handler)
            break
        except OSError:
            continue
    assert service is not None, "no free port in 18300-18399"
    service.received = []
    thread = threading.Thread(target=service.serve_forever, daemon=True)
    thread.start()
    yield service
    service.shutdown()
    service.server_close()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """What a browser keeps for one subscription: an ECDH key pair and an auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, endpoint: str) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        plain: bytes = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return plain


async def subscribe(
    client: httpx.AsyncClient, person: Person, service: PushService, name: str
) -> Browser:
    browser = Browser()
    endpoint = f"http://127.0.0.1:{service.server_address[1]}/push/{name}"
    response = await client.post(
        "/api/notifications/push-subscriptions",
        json=browser.subscription(endpoint),
        headers=person.auth,
    )
    assert response.status_code == 201, response.text
    return browser


async def drain(app: FastAPI) -> None:
    await app.state.runtime.push.drain()


class TestPush:
    async def test_the_payload_never_varies_and_names_nobody(
        self, app: FastAPI, client: httpx.AsyncClient, push_service: PushService
    ) -> None:
        key = (
            await client.get(
                "/api/notifications/push-key",
                headers=(await person_with(app, client, "Amara")).auth,
            )
        ).json()
        assert key["enabled"] is True
        assert len(base64.urlsafe_b64decode(key["public_key"] + "==")) == 65
        assert (Path(app.state.settings.secret_key_file).parent / "vapid-private.pem").exists()

        lina = await person_with(app, client, "Lina", Role.MEMBER)
        joy = await person_with(app, client, "Joy", Role.MEMBER)
        browser = await subscribe(client, lina, push_service, "lina")
        async with app.state.db.session() as session:
            await producers.mentor_assigned(
                session,
                mentee_id=lina.id,
                mentor_id=joy.id,
                mentee="Lina",
                mentor="Joy",
                changed=False,
            )
            await producers.vote_opened(
                session,
                voters=[lina.id],
                applicant="Esther",
                vote_id=lina.id,
                deadline=datetime(2030, 1, 1, tzinfo=UTC),
            )
        await drain(app)
        # One push per transaction and person, whatever it was about; Joy has no browser.
        assert len(push_service.received) == 1
        path, headers, body = push_service.received[0]
        assert path == "/push/lina"
        # Signed with this instance's VAPID key, the one browsers subscribe with.
        assert headers["authorization"].startswith("vapid t=")
        assert f"k={key['public_key']}" in headers["authorization"]
        assert headers["content-encoding"] == "aes128gcm"
        plain = browser.decrypt(body)
        assert json.loads(plain) == {"text": PUSH_TEXT} == {"text": "You have something new"}
        for word in (b"Joy", b"Esther", b"mentor", b"vote", b"Tandem"):
            assert word not in plain

        async with app.state.db.session() as session:
            await producers.card_revoked(session, account_id=lina.id)
        await drain(app)
        assert browser.decrypt(push_service.received[1][2]) == plain

    async def test_quiet_hours_and_pause_keep_pushes_back_not_the_feed(
        self, app: FastAPI, client: httpx.AsyncClient, push_service: PushService
    ) -> None:
        lina = await person_with(app, client, "Lina", Role.MEMBER)
        await subscribe(client, lina, push_service, "lina")
        now = datetime.now(UTC)
        minute = now.hour * 60 + now.minute
        for prefs in (
            # Quiet hours around the current minute (her zone is UTC).
            {"quiet_start_minute": (minute - 60) % 1440, "quiet_end_minute": (minute + 60) % 1440},
            {"paused_until": (now + timedelta(hours=5)).isoformat()},
        ):
            response = await client.put(
                "/api/notifications/preferences", json=prefs, headers=lina.auth
            )
            assert response.json()["quiet_now"] is True
            async with app.state.db.session() as session:
                # Safety notices too: never switched off, but quiet outside the app.
                await producers.card_revoked(session, account_id=lina.id)
            await drain(app)
            assert push_service.received == []
        feed = (await client.get("/api/notifications", headers=lina.auth)).json()
        assert [i["kind"] for i in feed["items"]] == ["card.revoked", "card.revoked"]

        await client.put("/api/notifications/preferences", json={}, headers=lina.auth)
        async with app.state.db.session() as session:
            await producers.card_revoked(session, account_id=lina.id)
        await drain(app)
        assert len(push_service.received) == 1

    async def test_an_unreachable_push_service_changes_nothing_else(
        self, app: FastAPI, client: httpx.AsyncClient, push_service: PushService
    ) -> None:
        lina = await person_with(app, client, "Lina", Role.MEMBER)
        browser = Browser()
        # Nobody listens there: the send fails, is logged, and the feed is unaffected.
        response = await client.post(
            "/api/notifications/push-subscriptions",
            json=browser.subscription("http://127.0.0.1:9/push/nobody"),
            headers=lina.auth,
        )
        assert response.status_code == 201
        async with app.state.db.session() as session:
            await producers.card_issued(session, account_id=lina.id)
        await drain(app)
        assert app.state.runtime.push.failed == 1
        feed = (await client.get("/api/notifications", headers=lina.auth)).json()
        assert [i["kind"] for i in feed["items"]] == ["card.issued"]


class TestPushOff:
    async def test_off_by_default(self, tmp_path: Path, database_url: str) -> None:
        from backend.main import create_app

        app = create_app(make_settings(tmp_path, database_url))
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
                lina = await person_with(app, c, "Lina", Role.MEMBER)
                key = await c.get("/api/notifications/push-key", headers=lina.auth)
                assert key.json() == {"enabled": False, "public_key": None}
                refused = await c.post(
                    "/api/notifications/push-subscriptions",
                    json=Browser().subscription("https://push.example/abc"),
                    headers=lina.auth,
                )
                assert refused.status_code == 409
        finally:
            await app.state.db.dispose()
