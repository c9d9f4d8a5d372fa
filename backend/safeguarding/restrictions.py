"""Interim restrictions on accounts: applied, lifted, expired, and what she is told."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.membership import cards as card_service
from backend.notification import producers
from backend.realtime import bus
from backend.safeguarding.access import access_case, require_officer
from backend.safeguarding.models import (
    Restriction,
)
from moderation import restrictions as restriction_effects
from moderation.restrictions import Effect


async def recompute_effects(session: AsyncSession, account_id: uuid.UUID) -> frozenset[Effect]:
    """The account's effects in force, written where every request's lookup reads them,
    and her open sockets told to check again."""
    now = utc_now()
    rows = await session.exec(
        select(Restriction.effects)
        .where(Restriction.account_id == account_id)
        .where(col(Restriction.lifted_at).is_(None))
        .where(or_(col(Restriction.expires_at).is_(None), col(Restriction.expires_at) > now))
    )
    effects: frozenset[Effect] = frozenset()
    for text in rows.all():
        effects |= restriction_effects.parse(text)
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    account.restrictions = restriction_effects.serialise(effects)
    session.add(account)
    await session.flush()
    bus.publish_on_commit(session, bus.AccountChangedEvent(account_id))
    return effects


async def apply_restriction(
    session: AsyncSession,
    *,
    officer_id: uuid.UUID | None,
    account_id: uuid.UUID,
    effects: frozenset[Effect],
    reason: str,
    case_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> Restriction:
    """Immediate: the next request and every open socket of hers see it."""
    if not effects:
        raise InvalidInput("Choose at least one restriction.", fields={"effects": "Required."})
    if not effects <= restriction_effects.SETTABLE:
        raise InvalidInput(
            "That restriction cannot be set by hand.", fields={"effects": "Unknown."}
        )
    if officer_id == account_id:
        raise Forbidden("You cannot restrict yourself.")
    if expires_at is not None and expires_at <= utc_now():
        raise InvalidInput("The end must be in the future.", fields={"expires_at": "In the past."})
    if await session.get(Account, account_id) is None:
        raise NotFound()
    restriction = Restriction(
        account_id=account_id,
        case_id=case_id,
        effects=restriction_effects.serialise(effects),
        reason=reason,
        applied_by=officer_id,
        applied_at=utc_now(),
        expires_at=expires_at,
    )
    session.add(restriction)
    await session.flush()
    if Effect.CARD_REVOKED in effects:
        await card_service.revoke_cards_of(
            session, actor_id=officer_id, account_id=account_id, reason="restriction"
        )
    await recompute_effects(session, account_id)
    await producers.restriction_applied(
        session, account_id=account_id, restrictions=sorted(effects)
    )
    await audit.record(
        session,
        actor_id=officer_id,
        action="safety.restriction_applied",
        subject=f"account:{account_id}",
        details={
            "restriction": str(restriction.id),
            "effects": restriction.effects,
            "case": str(case_id) if case_id else None,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return restriction


async def restrict_for_case(
    session: AsyncSession,
    actor: Actor,
    case_id: uuid.UUID,
    *,
    effects: frozenset[Effect],
    reason: str,
    expires_at: datetime | None,
) -> Restriction:
    """An interim restriction while the case is examined."""
    case = await access_case(session, actor, case_id)
    if case.target_account_id is None:
        raise Conflict("This case is about a room, not a person.")
    return await apply_restriction(
        session,
        officer_id=actor.account.id,
        account_id=case.target_account_id,
        effects=effects,
        reason=reason,
        case_id=case.id,
        expires_at=expires_at,
    )


async def lift_restriction(
    session: AsyncSession, actor: Actor, restriction_id: uuid.UUID, *, reason: str
) -> Restriction:
    require_officer(actor)
    restriction = await session.get(Restriction, restriction_id)
    if restriction is None:
        raise NotFound()
    if restriction.case_id is not None:
        await access_case(session, actor, restriction.case_id)
    if restriction.account_id == actor.account.id:
        raise NotFound()
    if restriction.lifted_at is not None:
        raise Conflict("This restriction was lifted already.")
    restriction.lifted_at = utc_now()
    restriction.lifted_by = actor.account.id
    restriction.lift_reason = reason
    session.add(restriction)
    await session.flush()
    await recompute_effects(session, restriction.account_id)
    await tell_lifted(session, restriction)
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.restriction_lifted",
        subject=f"account:{restriction.account_id}",
        details={"restriction": str(restriction.id), "reason": reason},
    )
    return restriction


async def tell_lifted(session: AsyncSession, restriction: Restriction) -> None:
    await producers.restriction_lifted(
        session,
        account_id=restriction.account_id,
        restrictions=sorted(restriction_effects.parse(restriction.effects)),
    )


async def expire_restrictions(session: AsyncSession) -> int:
    """Scheduled: restrictions past their end are lifted and the accounts recomputed."""
    now = utc_now()
    due = list(
        (
            await session.exec(
                select(Restriction)
                .where(col(Restriction.lifted_at).is_(None))
                .where(col(Restriction.expires_at).is_not(None))
                .where(col(Restriction.expires_at) <= now)
            )
        ).all()
    )
    for restriction in due:
        restriction.lifted_at = restriction.expires_at
        restriction.lift_reason = "expired"
        session.add(restriction)
    await session.flush()
    for restriction in due:
        await tell_lifted(session, restriction)
    for account_id in {r.account_id for r in due}:
        await recompute_effects(session, account_id)
        await audit.record(
            session,
            actor_id=None,
            action="safety.restriction_expired",
            subject=f"account:{account_id}",
        )
    return len(due)


@dataclass(frozen=True)
class MyRestriction:
    effects: list[Effect]
    reason: str
    since: datetime
    until: datetime | None


async def my_restrictions(session: AsyncSession, account_id: uuid.UUID) -> list[MyRestriction]:
    """What is limited for her, why and until when. Never who reported her."""
    now = utc_now()
    rows = await session.exec(
        select(Restriction)
        .where(Restriction.account_id == account_id)
        .where(col(Restriction.lifted_at).is_(None))
        .where(or_(col(Restriction.expires_at).is_(None), col(Restriction.expires_at) > now))
        .order_by(col(Restriction.applied_at))
    )
    return [
        MyRestriction(
            effects=sorted(restriction_effects.parse(r.effects)),
            reason=r.reason,
            since=r.applied_at,
            until=r.expires_at,
        )
        for r in rows.all()
    ]
