"""The long-lived parts of a running Tandem, built once from settings.

The server (create_app) and the CLI build them the same way, so a command and a request
hash passwords and open the vault identically.
"""

from dataclasses import dataclass

import backend.models  # noqa: F401 - every table known before any query
from backend.auth import service as auth_service
from backend.auth.lookup import SessionLookup, session_lookup_for
from backend.auth.passwords import Argon2Parameters, PasswordHashing
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.keys import KeyRing, load_or_create_key_file
from backend.core.throttle_sharing import RedisThrottleSharing
from backend.identity.vault import Vault
from backend.membership.cards import CardSigner
from backend.room import events as room_events
from backend.room import screening as room_screening
from backend.room.broker import Broker, build_broker
from backend.safeguarding import screening as safeguarding_screening
from backend.safeguarding import service as safeguarding_service


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
    # With Redis: login and registration throttles counted across processes.
    throttle_sharing: RedisThrottleSharing | None = None

    async def start(self) -> None:
        """What runs beside requests in a serving process (not in a CLI command)."""
        if self.throttle_sharing is not None:
            await self.throttle_sharing.start()

    async def close(self) -> None:
        if self.throttle_sharing is not None:
            await self.throttle_sharing.stop()
        await self.broker.stop()
        room_events.unbind_broker(self.settings.database_url, self.broker)
        room_screening.unbind_screen(self.settings.database_url)
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
    # Room events committed through this runtime's database leave through its broker.
    room_events.bind_broker(settings.database_url, broker)
    # Messages stored through this database are screened by the safeguarding rules.
    room_screening.bind_screen(settings.database_url, safeguarding_screening.screen_draft)
    auth = auth_service.AuthServices.build(
        settings,
        hashing,
        keys.secret,
        duress_alerts=[safeguarding_service.raise_duress_case],
    )
    sharing = None
    if settings.redis_url:
        sharing = RedisThrottleSharing(
            settings.redis_url,
            {
                "account": auth.failures_by_account,
                "client": auth.failures_by_client,
                "taken": auth.taken_by_client,
            },
        )
    return Runtime(
        settings=settings,
        keys=keys,
        db=database,
        session_lookup=session_lookup_for(database),
        auth=auth,
        vault=Vault(keys),
        card_signer=CardSigner.load_or_create(settings.secret_key_file.parent / "card-keys.json"),
        broker=broker,
        throttle_sharing=sharing,
    )
