"""Her status on the path and everything that moves it: signing, taking part, safeguarding."""

import uuid
from datetime import timedelta

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.auth.models import Account, RoleGrant
from backend.core import audit
from backend.core.denials import PrivilegedActionDenied
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.time import utc_now
from backend.membership import agreements as agreement_service
from backend.membership import cards as card_service
from backend.membership import errors as membership_errors
from backend.membership import rules
from backend.membership import settings as membership_settings
from backend.membership.models import (
    Agreement,
    AgreementKind,
    AgreementSignature,
    Membership,
    MemberStatus,
    NextStep,
    ParticipationConfirmation,
)
from backend.room import group_sessions as room_group_sessions
from backend.room import rooms as room_rooms

S = MemberStatus
# Which community-wide roles each status carries; the status is the source of truth.
STATUS_ROLES: dict[MemberStatus, set[Role]] = {
    S.NEWCOMER: set(),
    S.MEMBER: {Role.MEMBER},
    S.CANDIDATE: {Role.MEMBER},
    S.ACTIVE: {Role.MEMBER, Role.ACTIVE_MEMBER},
    S.NON_ACTIVE: {Role.MEMBER},
    S.SUSPENDED: set(),
    S.EXPELLED: set(),
    S.ERASED: set(),
}
MANAGED_ROLES = {Role.MEMBER, Role.ACTIVE_MEMBER}


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return account


async def load_membership(session: AsyncSession, account_id: uuid.UUID) -> Membership:
    """The account's membership; a newcomer's row is made the first time it is needed."""
    membership = await session.get(Membership, account_id)
    if membership is None:
        membership = Membership(account_id=account_id, status_changed_at=utc_now())
    return membership


async def _locked_membership(session: AsyncSession, account_id: uuid.UUID) -> Membership:
    """Her membership row, locked for update (and made if she has none yet).

    The account must exist (else NotFound). Every change to a membership goes through this
    lock, so two changes at once apply one after the other.
    """
    statement = select(Membership).where(Membership.account_id == account_id).with_for_update()
    found = (await session.exec(statement)).first()
    if found is not None:
        return found
    if await session.get(Account, account_id) is None:
        raise NotFound()
    membership = Membership(account_id=account_id, status_changed_at=utc_now())
    session.add(membership)
    await session.flush()
    return membership


async def change_status(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    target: MemberStatus,
    reason: str,
) -> Membership:
    """The only way a status changes: the rule is checked, roles follow, the log records it."""
    membership = await _locked_membership(session, account_id)
    current = membership.status
    refusal = rules.transition_refusal(current, target)
    if refusal is not None:
        raise membership_errors.IllegalTransition(refusal)
    now = utc_now()
    membership.status = target
    membership.status_changed_at = now
    if target == S.MEMBER and membership.member_since is None:
        membership.member_since = now
    if target == S.ACTIVE:
        membership.active_since = membership.active_since or now
        membership.last_participation_at = now
    session.add(membership)
    await session.flush()
    await auth_service.set_community_roles(
        session,
        actor_id=actor_id,
        account_id=account_id,
        wanted=STATUS_ROLES[target],
        managed=MANAGED_ROLES,
    )
    await _sync_active_members_room(session, account_id, was=current, now=target)
    if target in (S.SUSPENDED, S.EXPELLED, S.NON_ACTIVE):
        await card_service.revoke_cards_of(
            session, actor_id=actor_id, account_id=account_id, reason=reason
        )
    await audit.record(
        session,
        actor_id=actor_id,
        action="membership.status_changed",
        subject=f"account:{account_id}",
        details={"from": current, "to": target, "reason": reason},
    )
    return membership


async def _sync_active_members_room(
    session: AsyncSession, account_id: uuid.UUID, *, was: MemberStatus, now: MemberStatus
) -> None:
    """Active members share one room; she is in it exactly while she is active."""
    if (was == S.ACTIVE) == (now == S.ACTIVE):
        return
    room = await room_rooms.ensure_active_members_room(session)
    if now == S.ACTIVE:
        await room_rooms.add_room_member(session, room_id=room.id, account_id=account_id)
    else:
        await room_rooms.remove_room_member(session, room_id=room.id, account_id=account_id)


SAFEGUARDING_TARGETS = {S.SUSPENDED, S.EXPELLED, S.MEMBER, S.ACTIVE, S.NEWCOMER, S.NON_ACTIVE}


async def change_status_by_safeguarding(
    session: AsyncSession,
    *,
    officer_id: uuid.UUID,
    account_id: uuid.UUID,
    target: MemberStatus,
    reason: str,
) -> Membership:
    """Suspend, expel, lift a suspension, or mark non-active. Never approve: votes do that."""
    membership = await load_membership(session, account_id)
    current = membership.status
    lifting = current == S.SUSPENDED
    if target == S.ACTIVE and not lifting:
        raise membership_errors.IllegalTransition("Only the Roots vote makes someone active.")
    if target == S.MEMBER and not lifting:
        raise membership_errors.IllegalTransition(
            "Someone becomes a member by signing the rules and taking part."
        )
    if officer_id == account_id:
        raise PrivilegedActionDenied(
            "You cannot change your own status.",
            actor_id=officer_id,
            attempted="membership.status_change",
        )
    return await change_status(
        session, actor_id=officer_id, account_id=account_id, target=target, reason=reason
    )


async def participation_count(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Support-group sessions she attended, plus participations a facilitator confirmed."""
    statement = select(func.count()).where(ParticipationConfirmation.account_id == account_id)
    confirmed = int((await session.exec(statement)).one())
    return confirmed + await room_group_sessions.count_attended_sessions(session, account_id)


async def next_steps(session: AsyncSession, membership: Membership) -> list[NextStep]:
    """What she still has to do to become a member (nothing once she is past newcomer)."""
    if membership.status != S.NEWCOMER:
        return []
    account_id = membership.account_id
    unsigned = await agreement_service.unsigned_kinds(
        session, account_id, S.NEWCOMER, require_existing=True
    )
    return rules.newcomer_next_steps(
        signed_rules=not unsigned,
        participation=await participation_count(session, account_id),
        required=(await membership_settings.get_rules(session)).participation_required,
        vouched=membership.vouched,
    )


async def promote_if_ready(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """A newcomer becomes a member once she signed the community rules, took part, and is
    vouched for (by her referral, or by a facilitator or an active member)."""
    membership = await load_membership(session, account_id)
    if membership.status != S.NEWCOMER or await next_steps(session, membership):
        return False
    await change_status(
        session,
        actor_id=None,
        account_id=account_id,
        target=S.MEMBER,
        reason="signed the community rules, took part and was vouched for",
    )
    return True


async def vouch_for(
    session: AsyncSession, *, voucher_id: uuid.UUID, account_id: uuid.UUID
) -> Membership:
    """A facilitator or an active member (the endpoint checks the capability) says she has
    met this newcomer. Locks her membership row: two vouches at once record one. If she
    has signed and taken part already, she becomes a member now."""
    if voucher_id == account_id:
        raise Forbidden("Someone who has met you vouches for you.")
    membership = await _locked_membership(session, account_id)
    if membership.status != S.NEWCOMER:
        raise Conflict("Only a newcomer needs someone to vouch for her.", code="not_a_newcomer")
    if membership.vouched:
        raise Conflict("Someone has vouched for her already.", code="already_vouched")
    membership.vouched = True
    membership.vouched_by = voucher_id
    membership.vouched_at = utc_now()
    session.add(membership)
    await session.flush()
    await audit.record(
        session,
        actor_id=voucher_id,
        action="membership.vouched",
        subject=f"account:{account_id}",
    )
    await promote_if_ready(session, account_id)
    return membership


async def list_waiting_for_vouch(session: AsyncSession) -> list[tuple[Account, int]]:
    """Self-registered newcomers nobody has vouched for yet, oldest first, with how often
    each took part. Staff (anyone holding a role) are not on the membership path."""
    statement = (
        select(Account)
        .outerjoin(Membership, col(Membership.account_id) == col(Account.id))
        .where(or_(col(Membership.status).is_(None), Membership.status == S.NEWCOMER))
        .where(or_(col(Membership.vouched).is_(None), col(Membership.vouched).is_(False)))
        .where(~col(Account.id).in_(select(RoleGrant.account_id)))
        .order_by(col(Account.created_at))
    )
    accounts = list((await session.exec(statement)).all())
    took_part = await _participation_counts(session)
    return [(a, took_part.get(a.id, 0)) for a in accounts]


async def _participation_counts(session: AsyncSession) -> dict[uuid.UUID, int]:
    """participation_count for everyone who took part, in two queries."""
    took_part = await room_group_sessions.attended_session_counts(session)
    confirmed = await session.exec(
        select(ParticipationConfirmation.account_id, func.count()).group_by(
            col(ParticipationConfirmation.account_id)
        )
    )
    for account_id, count in confirmed.all():
        took_part[account_id] = took_part.get(account_id, 0) + int(count)
    return took_part


async def promote_ready_newcomers(session: AsyncSession) -> int:
    """Newcomers who signed and attended enough sessions become members (the rooms domain
    records attendance and cannot call up into membership, so this runs as scheduled work
    and after each confirmation or signature)."""
    # Only the vouched can be promoted, and the self-registered start unvouched.
    newcomers = select(Membership.account_id).where(
        Membership.status == S.NEWCOMER, col(Membership.vouched).is_(True)
    )
    # Counted for everyone at once, so only those who took part enough are looked at one by
    # one: checking each of 5,000 newcomers held the write lock for 8 s every round.
    required = (await membership_settings.get_rules(session)).participation_required
    took_part = await _participation_counts(session)
    promoted = 0
    for account_id in (await session.exec(newcomers)).all():
        if took_part.get(account_id, 0) < required:
            continue
        if await promote_if_ready(session, account_id):
            promoted += 1
    return promoted


async def confirm_participation(
    session: AsyncSession, *, facilitator_id: uuid.UUID, account_id: uuid.UUID, note: str
) -> int:
    if facilitator_id == account_id:
        raise Forbidden("Someone else confirms your participation.")
    if await session.get(Account, account_id) is None:
        raise NotFound()
    session.add(
        ParticipationConfirmation(
            account_id=account_id,
            confirmed_by=facilitator_id,
            note=note,
            confirmed_at=utc_now(),
        )
    )
    membership = await _locked_membership(session, account_id)
    membership.last_participation_at = utc_now()
    session.add(membership)
    await session.flush()
    await audit.record(
        session,
        actor_id=facilitator_id,
        action="membership.participation_confirmed",
        subject=f"account:{account_id}",
    )
    await promote_if_ready(session, account_id)
    return await participation_count(session, account_id)


# Signing lives with the status, not in agreements.py: who may sign the active-member
# rules depends on her status, and signing the community rules can make her a member.
async def sign_agreement(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    kind: AgreementKind,
    version: int,
    language: str,
) -> AgreementSignature:
    current = await agreement_service.current_version(session, kind)
    if current is None:
        raise NotFound("There is no such agreement yet.")
    if version != current:
        raise Conflict(f"Version {version} is not the current one; please read version {current}.")
    exists = (
        await session.exec(
            select(Agreement)
            .where(Agreement.kind == kind)
            .where(Agreement.version == version)
            .where(Agreement.language == language)
        )
    ).first()
    if exists is None:
        raise NotFound("This agreement has no text in that language.")
    if kind == AgreementKind.ACTIVE_MEMBER_RULES:
        status = (await load_membership(session, account_id)).status
        if status not in (S.CANDIDATE, S.ACTIVE, S.NON_ACTIVE):
            raise Conflict("The active-member rules are signed when applying to become active.")
    signed = await agreement_service.signature_of(session, account_id, kind, version)
    if signed is not None:
        return signed
    signature = AgreementSignature(
        account_id=account_id,
        kind=kind,
        version=version,
        language=language,
        signed_at=utc_now(),
    )
    session.add(signature)
    await session.flush()
    await audit.record(
        session,
        actor_id=account_id,
        action="agreement.signed",
        subject=f"agreement:{kind}:{version}",
    )
    if kind == AgreementKind.COMMUNITY_RULES:
        await promote_if_ready(session, account_id)
    return signature


async def set_profile(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    languages: list[str],
    city: str | None,
    region: str | None,
) -> Membership:
    membership = await _locked_membership(session, account_id)
    membership.languages = ",".join(sorted(set(languages)))
    membership.city = city.strip() if city else None
    membership.region = region.strip() if region else None
    session.add(membership)
    await session.flush()
    return membership


async def found_active_member(
    session: AsyncSession, *, admin_id: uuid.UUID, account_id: uuid.UUID
) -> Membership:
    """Bootstrap: before there are enough Roots to vote, an admin names founding members.

    Allowed only while the community has fewer active members than the minimum number of
    ballots for a shown tally; after that, only the vote makes someone active.
    """
    active = int(
        (await session.exec(select(func.count()).where(Membership.status == S.ACTIVE))).one()
    )
    if active >= (await membership_settings.get_rules(session)).min_ballots_for_tally:
        raise membership_errors.FoundingClosed()
    membership = await _locked_membership(session, account_id)
    now = utc_now()
    previous = membership.status
    membership.status = S.ACTIVE
    membership.status_changed_at = now
    membership.member_since = membership.member_since or now
    membership.active_since = now
    membership.last_participation_at = now
    membership.vouched = True
    session.add(membership)
    await session.flush()
    await auth_service.set_community_roles(
        session,
        actor_id=admin_id,
        account_id=account_id,
        wanted=STATUS_ROLES[S.ACTIVE],
        managed=MANAGED_ROLES,
    )
    await _sync_active_members_room(session, account_id, was=previous, now=S.ACTIVE)
    await audit.record(
        session,
        actor_id=admin_id,
        action="membership.founding_member",
        subject=f"account:{account_id}",
        details={"from": previous, "to": S.ACTIVE},
    )
    return membership


async def note_participation(session: AsyncSession, account_id: uuid.UUID) -> None:
    membership = await session.get(Membership, account_id)
    if membership is not None:
        membership.last_participation_at = utc_now()
        session.add(membership)


async def mark_inactive_members(session: AsyncSession) -> int:
    """Active members who have not taken part for the configured period become non-active."""
    community_rules = await membership_settings.get_rules(session)
    cutoff = utc_now() - timedelta(days=community_rules.inactive_after_days)
    statement = (
        select(Membership.account_id)
        .where(Membership.status == S.ACTIVE)
        .where(func.coalesce(Membership.last_participation_at, Membership.active_since) < cutoff)
    )
    moved = 0
    for account_id in (await session.exec(statement)).all():
        if await room_group_sessions.count_attended_sessions(session, account_id, since=cutoff):
            continue
        await change_status(
            session,
            actor_id=None,
            account_id=account_id,
            target=S.NON_ACTIVE,
            reason=f"no participation for {community_rules.inactive_after_days} days",
        )
        moved += 1
    return moved
