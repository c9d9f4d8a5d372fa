"""Web Push, outside the app: optional, off by default (``TANDEM_PUSH_ENABLED``).

What leaves is always the same text, whoever it is for and whatever happened: a phone
may be checked, so a push never names a person, a room or the community. Pushes are
queued in the deciding transaction and sent after it commits, from this process only
(the broker fans live frames out; a push must go once). The VAPID key lives beside the
key file (``vapid-private.pem``).
"""

import asyncio
import base64
import contextlib
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.context import Slot, context_of
from backend.core.db import Database
from backend.notification.models import PushSubscription

log = logging.getLogger("tandem.notification.push")

PUSH_TEXT = "You have something new"
PAYLOAD = json.dumps({"text": PUSH_TEXT}, separators=(",", ":"))
_PENDING_KEY = "tandem.notification.push"
# A push that cannot wait long: a phone that was off gets the next one.
PUSH_TTL_SECONDS = 4 * 3600
PUSH_TIMEOUT_SECONDS = 10.0


class PushSender:
    def __init__(self, vapid: Vapid, subject: str, db: Database) -> None:
        self.vapid = vapid
        self.subject = subject
        self.db = db
        self.sent = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def load_or_create(cls, path: Path, subject: str, db: Database) -> "PushSender":
        if path.exists():
            vapid = Vapid.from_file(str(path))
        else:
            vapid = Vapid()
            vapid.generate_keys()
            path.parent.mkdir(parents=True, exist_ok=True)
            vapid.save_key(str(path))
            os.chmod(path, 0o600)
        return cls(vapid, subject, db)

    @property
    def public_key(self) -> str:
        """The application server key a browser subscribes with (base64url, uncompressed)."""
        raw = self.vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def schedule(self, account_ids: set[uuid.UUID]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.warning("push queued outside an event loop; not sent")
            return
        task = loop.create_task(self.deliver(account_ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the pushes under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def deliver(self, account_ids: set[uuid.UUID]) -> None:
        async with self.db.session(write=False) as session:
            rows = (
                await session.exec(
                    select(PushSubscription).where(
                        col(PushSubscription.account_id).in_(sorted(account_ids))
                    )
                )
            ).all()
        gone: list[uuid.UUID] = []
        for row in rows:
            try:
                await asyncio.to_thread(self._send, row.endpoint, row.p256dh, row.auth)
                self.sent += 1
            except WebPushException as exc:
                self.failed += 1
                status = getattr(exc.response, "status_code", None)
                if status in (404, 410):
                    gone.append(row.id)
                log.warning("a push was refused (%s)", status)
            except Exception as exc:  # a push service away never breaks the app
                self.failed += 1
                log.warning("a push could not be sent (%s)", type(exc).__name__)
        if gone:
            async with self.db.session() as session:
                await session.exec(
                    delete(PushSubscription).where(col(PushSubscription.id).in_(gone))
                )

    def _send(self, endpoint: str, p256dh: str, auth: str) -> None:
        webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=PAYLOAD,
            vapid_private_key=self.vapid,
            vapid_claims={"sub": self.subject},
            ttl=PUSH_TTL_SECONDS,
            timeout=PUSH_TIMEOUT_SECONDS,
        )


PUSH: Slot[PushSender] = Slot("push sender")


def send_on_commit(session: AsyncSession, account_id: uuid.UUID) -> None:
    if context_of(session).get(PUSH) is not None:
        session.sync_session.info.setdefault(_PENDING_KEY, set()).add(account_id)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: set[uuid.UUID] = session.info.pop(_PENDING_KEY, set())
    if not pending:
        return
    sender = context_of(session).get(PUSH)
    if sender is not None:
        sender.schedule(pending)


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: Any) -> None:
    if previous.parent is None:
        with contextlib.suppress(KeyError):
            del session.info[_PENDING_KEY]
