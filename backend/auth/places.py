"""Linked accounts: where registrations and sign-ins come from, as rotating keyed hashes.

One person making several accounts from one phone on one network shows in the officers'
trust graph as "from the same place", for a person to weigh; nothing follows from it
by itself (a shelter's wifi or a charity's office computer link real members too).

What is kept is HMAC(period key, network + browser): the network is the address cut to
/24 (IPv4) or /56 (IPv6), the browser its User-Agent. The period key is
HMAC(instance secret, "linked:<period>"), a new one every ROTATION_DAYS: hashes of two
periods cannot be matched without the key file, and rows go after KEEP_DAYS
(privacy/tasks.py). docs/safety.md writes down what this can and cannot tell.
"""

import hashlib
import hmac
import ipaddress
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import AccountPlace, PlaceKind
from backend.core.context import Slot, context_of
from backend.core.dependencies import Origin
from backend.core.time import utc_now

ROTATION_DAYS = 30
KEEP_DAYS = 30
REGISTRATION_WINDOW = timedelta(days=1)
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
USER_AGENT_CHARS = 512


def period_of(moment: datetime) -> int:
    return (moment - _EPOCH).days // ROTATION_DAYS


def period_key(secret: bytes, period: int) -> bytes:
    return hmac.new(secret, f"linked:{period}".encode(), hashlib.sha256).digest()


def network_of(address: str | None) -> str | None:
    """The address's network (/24 or /56), or None when it says nothing about a place:
    not an address, or the loopback (the proxy itself, or a developer's machine)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return None
    prefix = 24 if ip.version == 4 else 56
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def place_hash(key: bytes, network: str, user_agent: str) -> str:
    material = f"{network}\n{user_agent[:USER_AGENT_CHARS]}".encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()


# Told, in the registration's transaction, about every account registered from her place
# within REGISTRATION_WINDOW (hers last); the safeguarding domain raises its flag here.
RegistrationsWatcher = Callable[[AsyncSession, list[uuid.UUID]], Awaitable[None]]
REGISTRATIONS_WATCHER: Slot[RegistrationsWatcher] = Slot("registrations from one place")


async def record_place(
    session: AsyncSession,
    secret: bytes,
    *,
    account_id: uuid.UUID,
    kind: PlaceKind,
    origin: Origin,
) -> AccountPlace | None:
    """The one call registration and sign-in make after success (API and pages alike).

    A second visit from the same place in the same period only moves its time on. Nothing
    is kept when the address says nothing about a place (``network_of``).
    """
    network = network_of(origin.address)
    if network is None:
        return None
    now = utc_now()
    period = period_of(now)
    place = place_hash(period_key(secret, period), network, origin.user_agent)
    existing = (
        await session.exec(
            select(AccountPlace)
            .where(AccountPlace.account_id == account_id)
            .where(AccountPlace.kind == kind)
            .where(AccountPlace.period == period)
            .where(AccountPlace.place == place)
        )
    ).first()
    row = existing or AccountPlace(
        account_id=account_id,
        kind=kind,
        period=period,
        place=place,
        place_before=place_hash(period_key(secret, period - 1), network, origin.user_agent),
        at=now,
    )
    row.at = now
    session.add(row)
    await session.flush()
    if kind is PlaceKind.REGISTERED:
        watcher = context_of(session).get(REGISTRATIONS_WATCHER)
        if watcher is not None:
            registered = await _registered_from(session, row, since=now - REGISTRATION_WINDOW)
            await watcher(session, [*[a for a in registered if a != account_id], account_id])
    return row


def _same_place(row: AccountPlace) -> ColumnElement[bool]:
    """Rows from the same place as ``row``: its period, or either period next to it."""
    return or_(
        and_(col(AccountPlace.period) == row.period, col(AccountPlace.place) == row.place),
        and_(
            col(AccountPlace.period) == row.period - 1,
            col(AccountPlace.place) == row.place_before,
        ),
        and_(
            col(AccountPlace.period) == row.period + 1,
            col(AccountPlace.place_before) == row.place,
        ),
    )


async def _registered_from(
    session: AsyncSession, row: AccountPlace, *, since: datetime
) -> list[uuid.UUID]:
    found = await session.exec(
        select(AccountPlace.account_id, AccountPlace.at)
        .where(AccountPlace.kind == PlaceKind.REGISTERED)
        .where(col(AccountPlace.at) >= since)
        .where(_same_place(row))
        .order_by(col(AccountPlace.at))
    )
    return list(dict.fromkeys(account for account, _ in found.all()))


@dataclass(frozen=True)
class Link:
    """Another account seen from one of her places, and when it last was."""

    account_id: uuid.UUID
    last_at: datetime


async def linked_accounts(session: AsyncSession, account_id: uuid.UUID) -> list[Link]:
    """Accounts seen (registering or signing in) from the same place as hers, within the
    rows kept, most recent first. For the officers' trust graph: callers check the
    capability."""
    mine = list(
        (
            await session.exec(select(AccountPlace).where(AccountPlace.account_id == account_id))
        ).all()
    )
    found: dict[uuid.UUID, datetime] = {}
    for row in mine:
        others = await session.exec(
            select(AccountPlace.account_id, AccountPlace.at)
            .where(AccountPlace.account_id != account_id)
            .where(_same_place(row))
        )
        for other, at in others.all():
            found[other] = max(at, found.get(other, at))
    links = [Link(other, at) for other, at in found.items()]
    return sorted(links, key=lambda link: link.last_at, reverse=True)


async def delete_expired(session: AsyncSession) -> int:
    """Rows last seen more than KEEP_DAYS ago go (the retention task calls this)."""
    cutoff = utc_now() - timedelta(days=KEEP_DAYS)
    result = await session.exec(delete(AccountPlace).where(col(AccountPlace.at) < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_places_of(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Her rows go when she erases her account."""
    result = await session.exec(
        delete(AccountPlace).where(col(AccountPlace.account_id) == account_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)
