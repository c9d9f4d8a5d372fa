"""The one way an Actor is made: for an HTTP request, a socket's handshake and each of
its frames alike. Everything that decides what she may do now passes through here."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.auth import rules
from backend.auth.capabilities import Capability, Grants
from backend.auth.lookup import FoundSession, HeldRole, LiveSession, SessionLookup, SignedInAccount
from backend.auth.service import grants_of, hash_token
from backend.core.config import Settings
from backend.core.time import utc_now


@dataclass(frozen=True)
class Actor:
    """Who is calling: plain values read at authentication, not rows to change."""

    account: SignedInAccount
    session: LiveSession
    grants: Grants
    role_grants: list[HeldRole]

    def can(self, capability: Capability) -> bool:
        return self.grants.can(capability)


def actor_from(found: FoundSession | None, settings: Settings, now: datetime) -> Actor | None:
    """Her Actor when the session is live (not revoked, not expired, not idle too long),
    with grants from her roles less what restrictions or a duress login take away."""
    if found is None:
        return None
    live = found.session
    if not rules.is_session_live(
        live.revoked_at,
        live.expires_at,
        live.last_seen_at,
        idle_minutes=settings.session_idle_minutes,
        now=now,
    ):
        return None
    return Actor(
        account=found.account,
        session=live,
        grants=grants_of(found.roles, found.account.restrictions, duress=live.duress),
        role_grants=found.roles,
    )


async def actor_for_token(lookup: SessionLookup, settings: Settings, token: str) -> Actor | None:
    return actor_from(await lookup.find(hash_token(token)), settings, utc_now())


async def actor_for_session(
    lookup: SessionLookup, settings: Settings, session_id: uuid.UUID
) -> Actor | None:
    return actor_from(await lookup.find_by_id(session_id), settings, utc_now())
