"""The long-lived parts of a running Tandem, built once from settings.

The server (create_app) and the CLI build them the same way, so a command and a request
hash passwords and open the vault identically.
"""

from dataclasses import dataclass

import backend.models  # noqa: F401 - every table known before any query
from backend.auth import places
from backend.auth import service as auth_service
from backend.auth.lookup import SessionLookup, session_lookup_for
from backend.auth.passwords import Argon2Parameters, PasswordHashing
from backend.core import denials
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.keys import KeyRing, load_or_create_key_file
from backend.core.ratelimit import RateLimiter
from backend.identity.vault import Vault
from backend.membership.cards import CardSigner
from backend.notification import producers as notification_producers
from backend.notification import push as notification_push
from backend.realtime.broker import Broker, build_broker
from backend.realtime.bus import BROKER
from backend.room import screening as room_screening
from backend.safeguarding import denials as denial_service
from backend.safeguarding import duress as duress_service
from backend.safeguarding import linked as linked_service
from backend.safeguarding import screening as safeguarding_screening


@dataclass
class Runtime:
    settings: Settings
    keys: KeyRing
    db: Database
    auth: auth_service.AuthServices
    vault: Vault
    card_signer: CardSigner
    session_lookup: SessionLookup
    broker: Broker
    rate_limiter: RateLimiter
    push: notification_push.PushSender | None = None

    async def close(self) -> None:
        if self.push is not None:
            await self.push.drain()
            self.db.context.withdraw(notification_push.PUSH)
        await self.broker.stop()
        await self.rate_limiter.close()
        self.db.context.withdraw(BROKER)
        self.db.context.withdraw(room_screening.SCREEN)
        self.db.context.withdraw(denials.RECORDER)
        self.db.context.withdraw(places.REGISTRATIONS_WATCHER)
        await self.db.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Raises KeyFileError when the key file cannot be used."""
    keys = load_or_create_key_file(settings.secret_key_file)
    hashing = PasswordHashing(
        Argon2Parameters(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        ),
        max_concurrent=settings.argon2_max_concurrent,
    )
    database = Database(settings.database_url)
    broker = build_broker(settings.redis_url)
    rate_limiter = RateLimiter.from_settings(settings)
    # Events committed through this runtime's database leave through its broker, and
    # messages stored through it are screened by the safeguarding rules.
    database.context.provide(BROKER, broker)
    database.context.provide(room_screening.SCREEN, safeguarding_screening.screen_draft)
    database.context.provide(denials.RECORDER, denial_service.recorder_for(database, settings))
    database.context.provide(places.REGISTRATIONS_WATCHER, linked_service.watcher_for(settings))
    notification_producers.install()
    push = None
    if settings.push_enabled:
        push = notification_push.PushSender.load_or_create(
            settings.secret_key_file.parent / "vapid-private.pem", settings.push_subject, database
        )
        database.context.provide(notification_push.PUSH, push)
    return Runtime(
        settings=settings,
        keys=keys,
        db=database,
        session_lookup=session_lookup_for(database),
        auth=auth_service.AuthServices.build(
            settings,
            hashing,
            keys.secret,
            rate_limiter,
            duress_alerts=[duress_service.raise_duress_case],
        ),
        vault=Vault(keys),
        card_signer=CardSigner.load_or_create(settings.secret_key_file.parent / "card-keys.json"),
        broker=broker,
        push=push,
        rate_limiter=rate_limiter,
    )
