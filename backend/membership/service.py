"""The membership path's rules: status, referrals, agreements, applications, votes, cards."""

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Grants, Role
from backend.auth.models import Account, RoleGrant
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts
from backend.core.time import utc_now
from backend.identity.vault import SealedBox, Vault
from backend.membership import rules
from backend.membership.cards import CardClaims, CardSigner, new_card_number
from backend.membership.models import (
    Agreement,
    AgreementKind,
    AgreementSignature,
    Application,
    ApplicationInterviewer,
    ApplicationStatus,
    Ballot,
    Card,
    CardStatus,
    Criterion,
    InterviewAssessment,
    InterviewReport,
    Membership,
    MembershipRules,
    MemberStatus,
    ParticipationConfirmation,
    Referral,
    Vote,
    VoteOutcome,
    VoteVoter,
    WorkingGroup,
    WorkingGroupMember,
)
from backend.mentoring import service as mentoring_service
from backend.mentoring.rules import Mentee, parse_languages
from backend.notification import producers as notify
from backend.room import group_sessions as room_group_sessions
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.safety import service as safety_service

S = MemberStatus
INVITATION_DAYS = 30
# Scheduled notices: a ballot reminder this long before the deadline; a card this long
# before it expires.
BALLOT_REMINDER_BEFORE = timedelta(hours=24)
CARD_EXPIRY_NOTICE = timedelta(days=30)
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


# ---------------------------------------------------------------- rules and status


async def get_rules(session: AsyncSession) -> MembershipRules:
    return await session.get(MembershipRules, 1) or MembershipRules()


async def update_rules(
    session: AsyncSession, *, actor_id: uuid.UUID, changes: dict[str, int]
) -> MembershipRules:
    current = await session.get(MembershipRules, 1) or MembershipRules()
    for name, value in changes.items():
        setattr(current, name, value)
    current.updated_at = utc_now()
    session.add(current)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, action="membership.rules_changed", details=changes
    )
    return current


async def load_membership(session: AsyncSession, account_id: uuid.UUID) -> Membership:
    """The account's membership; a newcomer's row is made the first time it is needed."""
    membership = await session.get(Membership, account_id)
    if membership is None:
        membership = Membership(account_id=account_id, status_changed_at=utc_now())
    return membership


async def _locked_membership(session: AsyncSession, account_id: uuid.UUID) -> Membership:
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
    current = MemberStatus(membership.status)
    refusal = rules.transition_refusal(current, target)
    if refusal is not None:
        raise Conflict(refusal, code="illegal_transition")
    now = utc_now()
    membership.status = target.value
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
        await revoke_cards_of(session, actor_id=actor_id, account_id=account_id, reason=reason)
    await audit.record(
        session,
        actor_id=actor_id,
        action="membership.status_changed",
        subject=f"account:{account_id}",
        details={"from": current.value, "to": target.value, "reason": reason},
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
    current = MemberStatus(membership.status)
    lifting = current == S.SUSPENDED
    if target == S.ACTIVE and not lifting:
        raise Conflict("Only the Roots vote makes someone active.", code="illegal_transition")
    if target == S.MEMBER and not lifting:
        raise Conflict(
            "Someone becomes a member by signing the rules and taking part.",
            code="illegal_transition",
        )
    if officer_id == account_id:
        raise Forbidden("You cannot change your own status.")
    return await change_status(
        session, actor_id=officer_id, account_id=account_id, target=target, reason=reason
    )


async def participation_count(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Support-group sessions she attended, plus participations a facilitator confirmed."""
    statement = select(func.count()).where(ParticipationConfirmation.account_id == account_id)
    confirmed = int((await session.exec(statement)).one())
    return confirmed + await room_group_sessions.count_attended_sessions(session, account_id)


async def promote_if_ready(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """A newcomer becomes a member once she signed the community rules and took part."""
    membership = await load_membership(session, account_id)
    if membership.status != S.NEWCOMER:
        return False
    if await unsigned_kinds(session, account_id, S.NEWCOMER, require_existing=True):
        return False
    required = (await get_rules(session)).participation_required
    if await participation_count(session, account_id) < required:
        return False
    await change_status(
        session,
        actor_id=None,
        account_id=account_id,
        target=S.MEMBER,
        reason="signed the community rules and took part",
    )
    return True


async def promote_ready_newcomers(session: AsyncSession) -> int:
    """Newcomers who signed and attended enough sessions become members (the rooms domain
    records attendance and cannot call up into membership, so this runs as scheduled work
    and after each confirmation or signature)."""
    # Self-registered people have no membership row until something needs one.
    newcomers = (
        select(Account.id)
        .outerjoin(Membership, col(Membership.account_id) == col(Account.id))
        .where(or_(col(Membership.status).is_(None), Membership.status == S.NEWCOMER.value))
    )
    # Counted for everyone at once, so only those who took part enough are looked at one by
    # one: checking each of 5,000 newcomers held the write lock for 8 s every round.
    required = (await get_rules(session)).participation_required
    took_part = await room_group_sessions.attended_session_counts(session)
    confirmed = await session.exec(
        select(ParticipationConfirmation.account_id, func.count()).group_by(
            col(ParticipationConfirmation.account_id)
        )
    )
    for account_id, count in confirmed.all():
        took_part[account_id] = took_part.get(account_id, 0) + int(count)
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
        (await session.exec(select(func.count()).where(Membership.status == S.ACTIVE.value))).one()
    )
    if active >= (await get_rules(session)).min_ballots_for_tally:
        raise Conflict(
            "The community has enough active members: new ones are voted in by the Roots.",
            code="founding_closed",
        )
    membership = await _locked_membership(session, account_id)
    now = utc_now()
    previous = membership.status
    membership.status = S.ACTIVE.value
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
    await _sync_active_members_room(session, account_id, was=MemberStatus(previous), now=S.ACTIVE)
    await audit.record(
        session,
        actor_id=admin_id,
        action="membership.founding_member",
        subject=f"account:{account_id}",
        details={"from": previous, "to": S.ACTIVE.value},
    )
    return membership


# ---------------------------------------------------------------- referrals


def _code_hash(secret: bytes, code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hmac.new(secret, b"invitation:" + normalised.encode(), hashlib.sha256).hexdigest()


def _new_invitation_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    chars = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


async def create_referral(
    session: AsyncSession,
    *,
    vault: Vault,
    secret: bytes,
    actor_id: uuid.UUID,
    grants: Grants,
    organisation_id: uuid.UUID | None,
    note: str,
) -> tuple[Referral, str]:
    """An organisation's coordinator or an active member refers someone and vouches for her.

    Active members have a budget of referrals per period, so a ring of new accounts
    cannot vouch itself in.
    """
    now = utc_now()
    if organisation_id is not None:
        if not grants.can(Capability.MEMBERSHIP_REFER, organisation_id):
            raise NotFound("That organisation does not exist.")
    else:
        if Capability.MEMBERSHIP_REFER not in grants.capabilities:
            raise Forbidden(
                "Refer on behalf of your organisation: give its id.", code="organisation_required"
            )
        await require_current_signature(session, actor_id, AgreementKind.COMMUNITY_RULES)
        community_rules = await get_rules(session)
        since = now - timedelta(days=community_rules.referral_period_days)
        used = int(
            (
                await session.exec(
                    select(func.count())
                    .where(Referral.referred_by == actor_id)
                    .where(col(Referral.organisation_id).is_(None))
                    .where(col(Referral.created_at) >= since)
                )
            ).one()
        )
        if used >= community_rules.referrals_per_period:
            raise TooManyAttempts(
                f"You have used your {community_rules.referrals_per_period} referrals for "
                f"this period of {community_rules.referral_period_days} days.",
                code="referral_budget_used",
            )
    code = _new_invitation_code()
    referral = Referral(
        organisation_id=organisation_id,
        referred_by=actor_id,
        vouched_by=actor_id,
        code_hash=_code_hash(secret, code),
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    if note:
        box = vault.seal(referral.id, {"note": note})
        referral.note_key_id, referral.note_wrapped_key = box.key_id, box.wrapped_key
        referral.note_nonce, referral.note_ciphertext = box.nonce, box.ciphertext
    session.add(referral)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="referral.created",
        subject=f"referral:{referral.id}",
        details={"organisation": str(organisation_id) if organisation_id else None},
    )
    return referral, code


def open_referral_note(vault: Vault, referral: Referral) -> str | None:
    if referral.note_ciphertext is None or referral.note_key_id is None:
        return None
    box = SealedBox(
        referral.note_key_id,
        referral.note_wrapped_key or b"",
        referral.note_nonce or b"",
        referral.note_ciphertext,
    )
    return str(vault.open(referral.id, box)["note"])


async def list_my_referrals(session: AsyncSession, actor_id: uuid.UUID) -> list[Referral]:
    statement = (
        select(Referral)
        .where(Referral.referred_by == actor_id)
        .order_by(col(Referral.created_at).desc())
    )
    return list((await session.exec(statement)).all())


async def join_with_invitation(
    session: AsyncSession,
    services: auth_service.AuthServices,
    *,
    pseudonym: str,
    password: str,
    language: str,
    code: str,
    client_key: str,
) -> tuple[Account, list[str]]:
    """Register already linked to a referral: she starts vouched. Returns her recovery codes."""
    if await services.failures_by_client.is_blocked(client_key):
        raise TooManyAttempts("Too many attempts from here. Please wait and try again.")
    statement = (
        select(Referral)
        .where(Referral.code_hash == _code_hash(services.secret, code))
        .with_for_update()
    )
    referral = (await session.exec(statement)).first()
    now = utc_now()
    if (
        referral is None
        or referral.redeemed_at is not None
        or referral.withdrawn_at is not None
        or now >= referral.expires_at
    ):
        await services.failures_by_client.add_failure(client_key)
        raise InvalidInput(
            "This invitation code does not work. It may have been used or have expired.",
            code="invitation_refused",
            fields={"invitation_code": "This code does not work."},
        )
    account, codes = await auth_service.register_account(
        session,
        services,
        pseudonym=pseudonym,
        password=password,
        language=language,
        client_key=client_key,
    )
    referral.redeemed_by, referral.redeemed_at = account.id, now
    session.add(referral)
    session.add(
        Membership(
            account_id=account.id,
            status=S.NEWCOMER.value,
            vouched=True,
            referral_id=referral.id,
            status_changed_at=now,
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor_id=account.id,
        action="referral.redeemed",
        subject=f"referral:{referral.id}",
        details={"account": str(account.id)},
    )
    return account, codes


# ---------------------------------------------------------------- agreements


async def current_version(session: AsyncSession, kind: AgreementKind) -> int | None:
    statement = select(func.max(Agreement.version)).where(Agreement.kind == kind.value)
    value = (await session.exec(statement)).one()
    return int(value) if value is not None else None


async def publish_agreement(
    session: AsyncSession,
    *,
    admin_id: uuid.UUID,
    kind: AgreementKind,
    language: str,
    title: str,
    body: str,
    version: int | None,
) -> Agreement:
    """A new version (everyone signs again), or a translation of the current version."""
    current = await current_version(session, kind)
    if version is None:
        version = (current or 0) + 1
    elif version != current:
        raise Conflict(
            "Only the current version can get a new translation; "
            "publish a new version to change the text."
        )
    agreement = Agreement(
        kind=kind.value,
        version=version,
        language=language,
        title=title,
        body=body,
        published_at=utc_now(),
        published_by=admin_id,
    )
    session.add(agreement)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Version {version} already has a text in this language.") from exc
    await audit.record(
        session,
        actor_id=admin_id,
        action="agreement.published",
        subject=f"agreement:{kind.value}:{version}",
        details={"language": language},
    )
    return agreement


async def _signature(
    session: AsyncSession, account_id: uuid.UUID, kind: AgreementKind, version: int
) -> AgreementSignature | None:
    statement = (
        select(AgreementSignature)
        .where(AgreementSignature.account_id == account_id)
        .where(AgreementSignature.kind == kind.value)
        .where(AgreementSignature.version == version)
    )
    return (await session.exec(statement)).first()


async def list_agreements(
    session: AsyncSession, kind: AgreementKind, *, current_only: bool
) -> list[Agreement]:
    statement = select(Agreement).where(Agreement.kind == kind.value)
    if current_only:
        version = await current_version(session, kind)
        statement = statement.where(Agreement.version == (version or 0))
    return list((await session.exec(statement.order_by(col(Agreement.version).desc()))).all())


async def sign_agreement(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    kind: AgreementKind,
    version: int,
    language: str,
) -> AgreementSignature:
    current = await current_version(session, kind)
    if current is None:
        raise NotFound("There is no such agreement yet.")
    if version != current:
        raise Conflict(f"Version {version} is not the current one; please read version {current}.")
    exists = (
        await session.exec(
            select(Agreement)
            .where(Agreement.kind == kind.value)
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
    signed = await _signature(session, account_id, kind, version)
    if signed is not None:
        return signed
    signature = AgreementSignature(
        account_id=account_id,
        kind=kind.value,
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
        subject=f"agreement:{kind.value}:{version}",
    )
    if kind == AgreementKind.COMMUNITY_RULES:
        await promote_if_ready(session, account_id)
    return signature


async def unsigned_kinds(
    session: AsyncSession,
    account_id: uuid.UUID,
    status: MemberStatus,
    *,
    require_existing: bool = False,
) -> list[AgreementKind]:
    """The agreements whose current version she has not signed.

    With ``require_existing``, an agreement never published counts as unsigned (nobody can
    become a member before the community has rules).
    """
    kinds = [AgreementKind.COMMUNITY_RULES]
    if status in (S.ACTIVE, S.NON_ACTIVE):
        kinds.append(AgreementKind.ACTIVE_MEMBER_RULES)
    missing = []
    for kind in kinds:
        version = await current_version(session, kind)
        if version is None:
            if require_existing:
                missing.append(kind)
            continue
        if await _signature(session, account_id, kind, version) is None:
            missing.append(kind)
    return missing


async def require_current_signature(
    session: AsyncSession, account_id: uuid.UUID, kind: AgreementKind
) -> None:
    """While a newer version waits for her signature, she can read but not act."""
    version = await current_version(session, kind)
    if version is None:
        return
    if await _signature(session, account_id, kind, version) is None:
        raise Conflict(
            f"Please read and sign the new version of the {kind.value.replace('_', ' ')} first.",
            code="must_sign",
        )


# ---------------------------------------------------------------- criteria


async def list_criteria(session: AsyncSession) -> list[Criterion]:
    statement = (
        select(Criterion)
        .where(col(Criterion.archived_at).is_(None))
        .order_by(col(Criterion.position), col(Criterion.title))
    )
    return list((await session.exec(statement)).all())


async def add_criterion(
    session: AsyncSession, *, admin_id: uuid.UUID, title: str, description: str, position: int
) -> Criterion:
    criterion = Criterion(title=title, description=description, position=position)
    session.add(criterion)
    await session.flush()
    await audit.record(
        session,
        actor_id=admin_id,
        action="criterion.added",
        subject=f"criterion:{criterion.id}",
        details={"title": title},
    )
    return criterion


async def archive_criterion(
    session: AsyncSession, *, admin_id: uuid.UUID, criterion_id: uuid.UUID
) -> None:
    criterion = await session.get(Criterion, criterion_id)
    if criterion is None or criterion.archived_at is not None:
        raise NotFound()
    criterion.archived_at = utc_now()
    session.add(criterion)
    await audit.record(
        session, actor_id=admin_id, action="criterion.archived", subject=f"criterion:{criterion_id}"
    )


# ---------------------------------------------------------------- applications


async def _open_application_of(
    session: AsyncSession, applicant_id: uuid.UUID
) -> Application | None:
    statement = (
        select(Application)
        .where(Application.applicant_id == applicant_id)
        .where(
            col(Application.status).in_(
                (ApplicationStatus.INTERVIEWING.value, ApplicationStatus.VOTING.value)
            )
        )
    )
    return (await session.exec(statement)).first()


async def submit_application(
    session: AsyncSession,
    *,
    applicant_id: uuid.UUID,
    motivation: str,
    working_group_ids: Sequence[uuid.UUID],
) -> Application:
    membership = await load_membership(session, applicant_id)
    if membership.status != S.MEMBER:
        raise Conflict(
            f"Members apply to become active; your status is {membership.status}.",
            code="illegal_transition",
        )
    await require_current_signature(session, applicant_id, AgreementKind.COMMUNITY_RULES)
    if await _open_application_of(session, applicant_id) is not None:
        raise Conflict("You have an application in progress already.")
    for group_id in working_group_ids:
        if await session.get(WorkingGroup, group_id) is None:
            raise InvalidInput(
                "A chosen working group does not exist.",
                fields={"working_group_ids": f"Unknown group {group_id}."},
            )
    application = Application(
        applicant_id=applicant_id,
        status=ApplicationStatus.INTERVIEWING.value,
        motivation=motivation,
        working_groups=",".join(str(g) for g in working_group_ids),
        created_at=utc_now(),
    )
    session.add(application)
    await session.flush()
    await change_status(
        session,
        actor_id=applicant_id,
        account_id=applicant_id,
        target=S.CANDIDATE,
        reason="applied to become active",
    )
    await audit.record(
        session,
        actor_id=applicant_id,
        action="application.submitted",
        subject=f"application:{application.id}",
    )
    await notify.application_needs_interviewers(
        session,
        recipients=await _possible_interviewers(session, applicant_id),
        applicant=(await _account(session, applicant_id)).pseudonym,
        application_id=application.id,
    )
    return application


async def _roots_coordinators(session: AsyncSession) -> set[uuid.UUID]:
    statement = select(RoleGrant.account_id).where(RoleGrant.role == Role.ROOTS_COORDINATOR.value)
    return set((await session.exec(statement)).all())


async def _possible_interviewers(session: AsyncSession, applicant_id: uuid.UUID) -> set[uuid.UUID]:
    """Who can take her interview or assign it: active members and Roots coordinators,
    never her, never someone linked to her by a block."""
    active = set(
        (
            await session.exec(
                select(Membership.account_id).where(Membership.status == S.ACTIVE.value)
            )
        ).all()
    )
    people = (active | await _roots_coordinators(session)) - {applicant_id}
    return people - await safety_service.blocked_either_way(session, applicant_id)


async def get_application(session: AsyncSession, application_id: uuid.UUID) -> Application:
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFound()
    return application


async def access_application(
    session: AsyncSession, actor_id: uuid.UUID, grants: Grants, application_id: uuid.UUID
) -> tuple[Application, bool]:
    """The application and whether the actor may read its report (Roots and safeguarding).

    The applicant sees her own application without the report; anyone else without the
    membership:read capability gets the same 404 as for an application that does not exist.
    """
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFound()
    if application.applicant_id == actor_id:
        return application, False
    if not grants.can(Capability.MEMBERSHIP_READ):
        raise NotFound()
    return application, True


async def withdraw_application(
    session: AsyncSession, *, applicant_id: uuid.UUID, application_id: uuid.UUID
) -> Application:
    application = await _lock_application(session, application_id)
    if application.applicant_id != applicant_id:
        raise NotFound()
    if application.status != ApplicationStatus.INTERVIEWING:
        raise Conflict("An application can be withdrawn before its vote opens.")
    application.status = ApplicationStatus.WITHDRAWN.value
    application.decided_at = utc_now()
    session.add(application)
    await change_status(
        session,
        actor_id=applicant_id,
        account_id=applicant_id,
        target=S.MEMBER,
        reason="application withdrawn",
    )
    return application


async def _lock_application(session: AsyncSession, application_id: uuid.UUID) -> Application:
    statement = select(Application).where(Application.id == application_id).with_for_update()
    application = (await session.exec(statement)).first()
    if application is None:
        raise NotFound()
    return application


async def assign_interviewers(
    session: AsyncSession,
    *,
    coordinator_id: uuid.UUID,
    application_id: uuid.UUID,
    interviewer_ids: Sequence[uuid.UUID],
) -> list[ApplicationInterviewer]:
    """One to three active members, never the applicant, never linked to her by a block."""
    application = await _lock_application(session, application_id)
    if application.status != ApplicationStatus.INTERVIEWING:
        raise Conflict("Interviewers are assigned before the vote opens.")
    if (
        await session.exec(
            select(InterviewReport).where(InterviewReport.application_id == application.id)
        )
    ).first():
        raise Conflict("The interview report is written; the interviewers can no longer change.")
    unique = list(dict.fromkeys(interviewer_ids))
    if not 1 <= len(unique) <= 3:
        raise InvalidInput(
            "Assign one to three different interviewers.",
            fields={"interviewer_ids": "One to three different people."},
        )
    for interviewer_id in unique:
        if interviewer_id == application.applicant_id:
            raise Conflict("The applicant cannot interview herself.", code="interviewer_refused")
        if (await load_membership(session, interviewer_id)).status != S.ACTIVE:
            raise Conflict("Interviewers are active members.", code="interviewer_refused")
        if await safety_service.is_blocked_between(
            session, interviewer_id, application.applicant_id
        ):
            raise Conflict(
                "One of these interviewers cannot be assigned to this applicant.",
                code="interviewer_refused",
            )
    existing = (
        await session.exec(
            select(ApplicationInterviewer).where(
                ApplicationInterviewer.application_id == application.id
            )
        )
    ).all()
    already = {row.interviewer_id for row in existing}
    for row in existing:
        await session.delete(row)
    await session.flush()
    now = utc_now()
    assigned = [
        ApplicationInterviewer(
            application_id=application.id,
            interviewer_id=interviewer_id,
            assigned_by=coordinator_id,
            assigned_at=now,
        )
        for interviewer_id in unique
    ]
    session.add_all(assigned)
    await session.flush()
    await audit.record(
        session,
        actor_id=coordinator_id,
        action="application.interviewers_assigned",
        subject=f"application:{application.id}",
        details={"interviewers": [str(i) for i in unique]},
    )
    await notify.interviewer_assigned(
        session,
        interviewers=[i for i in unique if i not in already],
        applicant=(await _account(session, application.applicant_id)).pseudonym,
        application_id=application.id,
    )
    return assigned


async def interviewers_of(session: AsyncSession, application_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(ApplicationInterviewer.interviewer_id).where(
        ApplicationInterviewer.application_id == application_id
    )
    return list((await session.exec(statement)).all())


async def write_report(
    session: AsyncSession,
    *,
    interviewer_id: uuid.UUID,
    application_id: uuid.UUID,
    summary: str,
    assessments: Sequence[tuple[uuid.UUID, str, str]],
) -> InterviewReport:
    application = await _lock_application(session, application_id)
    if interviewer_id not in await interviewers_of(session, application.id):
        raise NotFound()
    if application.status != ApplicationStatus.INTERVIEWING:
        raise Conflict("The report can be written until the vote opens.")
    await require_current_signature(session, interviewer_id, AgreementKind.COMMUNITY_RULES)
    criteria = {c.id: c for c in await list_criteria(session)}
    given = {criterion_id for criterion_id, _, _ in assessments}
    if unknown := given - criteria.keys():
        raise InvalidInput(
            "An assessment names a criterion that does not exist.",
            fields={"assessments": f"Unknown criteria: {', '.join(map(str, unknown))}."},
        )
    if missing := criteria.keys() - given:
        names = ", ".join(sorted(criteria[m].title for m in missing))
        raise InvalidInput("Assess every criterion.", fields={"assessments": f"Missing: {names}."})
    previous = (
        await session.exec(
            select(InterviewReport).where(InterviewReport.application_id == application.id)
        )
    ).first()
    if previous is not None:
        await session.delete(previous)
        await session.flush()
    report = InterviewReport(
        application_id=application.id,
        written_by=interviewer_id,
        summary=summary,
        written_at=utc_now(),
    )
    session.add(report)
    await session.flush()
    session.add_all(
        InterviewAssessment(
            report_id=report.id, criterion_id=criterion_id, assessment=value, comment=comment
        )
        for criterion_id, value, comment in assessments
    )
    await session.flush()
    await _note_participation(session, interviewer_id)
    await audit.record(
        session,
        actor_id=interviewer_id,
        action="application.report_written",
        subject=f"application:{application.id}",
    )
    return report


async def report_of(
    session: AsyncSession, application_id: uuid.UUID
) -> tuple[InterviewReport, list[tuple[InterviewAssessment, Criterion]]] | None:
    report = (
        await session.exec(
            select(InterviewReport).where(InterviewReport.application_id == application_id)
        )
    ).first()
    if report is None:
        return None
    statement = (
        select(InterviewAssessment, Criterion)
        .join(Criterion, col(Criterion.id) == col(InterviewAssessment.criterion_id))
        .where(InterviewAssessment.report_id == report.id)
        .order_by(col(Criterion.position), col(Criterion.title))
    )
    return report, list((await session.exec(statement)).all())


async def list_applications(
    session: AsyncSession, *, status: ApplicationStatus | None
) -> list[Application]:
    statement = select(Application).order_by(col(Application.created_at).desc()).limit(200)
    if status is not None:
        statement = statement.where(Application.status == status.value)
    return list((await session.exec(statement)).all())


async def applications_of(session: AsyncSession, applicant_id: uuid.UUID) -> list[Application]:
    """Her own applications, newest first: what she follows on her path."""
    statement = (
        select(Application)
        .where(Application.applicant_id == applicant_id)
        .order_by(col(Application.created_at).desc())
    )
    return list((await session.exec(statement)).all())


async def latest_vote(session: AsyncSession, application_id: uuid.UUID) -> Vote | None:
    statement = (
        select(Vote)
        .where(Vote.application_id == application_id)
        .order_by(col(Vote.opened_at).desc())
    )
    return (await session.exec(statement)).first()


# ---------------------------------------------------------------- votes


async def open_vote(
    session: AsyncSession,
    *,
    coordinator_id: uuid.UUID,
    application_id: uuid.UUID,
    deadline: datetime | None,
) -> Vote:
    """Open the Roots vote and freeze its voters: active members for long enough, not her.

    Locks the application: two coordinators opening at once get one vote.
    """
    application = await _lock_application(session, application_id)
    rerun = application.status == ApplicationStatus.NO_QUORUM
    if rerun and application.votes_held >= 2:
        raise Conflict("A vote without quorum can be re-run once only.")
    if application.status != ApplicationStatus.INTERVIEWING and not rerun:
        raise Conflict(f"This application is {application.status}; no vote can open.")
    if await report_of(session, application.id) is None:
        raise Conflict("The interview report must be written before the vote opens.")
    active_rules = await current_version(session, AgreementKind.ACTIVE_MEMBER_RULES)
    if active_rules is None:
        raise Conflict("Publish the active-member rules before opening votes.")
    kind = AgreementKind.ACTIVE_MEMBER_RULES
    if await _signature(session, application.applicant_id, kind, active_rules) is None:
        raise Conflict("The applicant has not signed the active-member rules yet.")
    community_rules = await get_rules(session)
    now = utc_now()
    deadline = deadline or now + timedelta(days=community_rules.vote_days)
    if deadline <= now + timedelta(hours=1):
        raise InvalidInput(
            "The deadline must be at least an hour away.", fields={"deadline": "Too soon."}
        )
    seniority = now - timedelta(days=community_rules.min_active_days_to_vote)
    voters = (
        await session.exec(
            select(Membership.account_id)
            .where(Membership.status == S.ACTIVE.value)
            .where(col(Membership.active_since) <= seniority)
            .where(Membership.account_id != application.applicant_id)
        )
    ).all()
    if not voters:
        raise Conflict("Nobody is eligible to vote yet.")
    vote = Vote(
        application_id=application.id,
        opened_by=coordinator_id,
        opened_at=now,
        deadline=deadline,
        quorum_percent=community_rules.quorum_percent,
        threshold_percent=community_rules.threshold_percent,
        min_ballots_for_tally=community_rules.min_ballots_for_tally,
    )
    session.add(vote)
    await session.flush()
    # A block either way is a conflict: that voter is recused from the start, and says so
    # to nobody but the tally's recusal count.
    blocked = await safety_service.blocked_either_way(session, application.applicant_id)
    session.add_all(
        VoteVoter(
            vote_id=vote.id,
            account_id=v,
            recused_at=now if v in blocked else None,
            recusal_reason="block" if v in blocked else None,
        )
        for v in voters
    )
    application.status = ApplicationStatus.VOTING.value
    application.votes_held += 1
    session.add(application)
    await session.flush()
    await audit.record(
        session,
        actor_id=coordinator_id,
        action="vote.opened",
        subject=f"application:{application.id}",
        details={"vote": str(vote.id), "voters": len(voters), "deadline": deadline.isoformat()},
    )
    await notify.vote_opened(
        session,
        voters=voters,
        applicant=(await _account(session, application.applicant_id)).pseudonym,
        vote_id=vote.id,
        deadline=deadline,
    )
    return vote


async def _tally(session: AsyncSession, vote: Vote) -> rules.Tally:
    counts = dict(
        (
            await session.exec(
                select(Ballot.choice, func.count())
                .where(Ballot.vote_id == vote.id)
                .group_by(col(Ballot.choice))
            )
        ).all()
    )
    eligible = int(
        (await session.exec(select(func.count()).where(VoteVoter.vote_id == vote.id))).one()
    )
    recused = int(
        (
            await session.exec(
                select(func.count())
                .where(VoteVoter.vote_id == vote.id)
                .where(col(VoteVoter.recused_at).is_not(None))
            )
        ).one()
    )
    return rules.Tally(
        yes=int(counts.get("yes", 0)),
        no=int(counts.get("no", 0)),
        abstain=int(counts.get("abstain", 0)),
        eligible=eligible,
        recused=recused,
    )


async def void_open_ballots_of(
    session: AsyncSession, *, officer_id: uuid.UUID, voter_id: uuid.UUID, reason: str
) -> list[uuid.UUID]:
    """Void her ballots in votes still open: the ballot is removed and she is recused, so
    the vote counts as if she had never been a voter. Returns the votes touched."""
    statement = (
        select(Ballot, Vote)
        .join(Vote, col(Vote.id) == col(Ballot.vote_id))
        .where(Ballot.voter_id == voter_id)
        .where(col(Vote.closed_at).is_(None))
    )
    touched: list[uuid.UUID] = []
    for ballot, vote in (await session.exec(statement)).all():
        await session.delete(ballot)
        voter = (
            await session.exec(
                select(VoteVoter)
                .where(VoteVoter.vote_id == vote.id)
                .where(VoteVoter.account_id == voter_id)
            )
        ).first()
        if voter is not None:
            voter.recused_at = utc_now()
            voter.recusal_reason = "ballot voided by safeguarding"
            session.add(voter)
        touched.append(vote.id)
        await audit.record(
            session,
            actor_id=officer_id,
            action="vote.ballot_voided",
            subject=f"vote:{vote.id}",
            details={"reason": reason},
        )
    await session.flush()
    return touched


async def current_tally(session: AsyncSession, vote_id: uuid.UUID) -> rules.Tally:
    vote = await session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    return await _tally(session, vote)


@dataclass(frozen=True)
class CloseContext:
    card_signer: CardSigner


async def close_vote_if_due(
    session: AsyncSession, vote_id: uuid.UUID, context: CloseContext
) -> Vote:
    """Close the vote if its deadline passed or everyone voted, and act on the outcome.

    Locks the vote row first: two closes racing (a request and the background task) give
    one outcome, and approval runs once. Lazy close on read and the task give the same
    result because both call this.
    """
    vote = (await session.exec(select(Vote).where(Vote.id == vote_id).with_for_update())).first()
    if vote is None:
        raise NotFound()
    if vote.closed_at is not None:
        return vote
    tally = await _tally(session, vote)
    now = utc_now()
    if now < vote.deadline and not rules.everyone_has_voted(tally):
        return vote
    outcome = rules.outcome_of(tally, vote.quorum_percent, vote.threshold_percent)
    # Closed late (lazily, on read) or by the task, a vote closes at its deadline.
    vote.closed_at = vote.deadline if now >= vote.deadline else now
    vote.outcome = outcome.value
    vote.yes_count, vote.no_count, vote.abstain_count = tally.yes, tally.no, tally.abstain
    vote.eligible_count, vote.recused_count = tally.eligible, tally.recused
    session.add(vote)
    application = await _lock_application(session, vote.application_id)
    application.status = {
        VoteOutcome.APPROVED: ApplicationStatus.APPROVED,
        VoteOutcome.REJECTED: ApplicationStatus.REJECTED,
        VoteOutcome.NO_QUORUM: ApplicationStatus.NO_QUORUM,
    }[outcome].value
    application.decided_at = now
    session.add(application)
    await session.flush()
    await audit.record(
        session,
        actor_id=None,
        action="vote.closed",
        subject=f"application:{application.id}",
        details={"vote": str(vote.id), "outcome": outcome.value, "ballots": tally.ballots},
    )
    voters = (
        await session.exec(select(VoteVoter.account_id).where(VoteVoter.vote_id == vote.id))
    ).all()
    await notify.vote_outcome(
        session,
        applicant_id=application.applicant_id,
        roots=set(voters) | await _roots_coordinators(session),
        applicant=(await _account(session, application.applicant_id)).pseudonym,
        application_id=application.id,
        vote_id=vote.id,
        outcome=outcome.value,
        tally=(tally.yes, tally.no, tally.abstain)
        if rules.tally_may_be_shown(tally, vote.min_ballots_for_tally)
        else None,
    )
    if outcome == VoteOutcome.APPROVED:
        await approve_applicant(session, application, context)
    elif outcome == VoteOutcome.REJECTED or application.votes_held >= 2:
        await change_status(
            session,
            actor_id=None,
            account_id=application.applicant_id,
            target=S.MEMBER,
            reason=f"vote outcome: {outcome.value}",
        )
    return vote


async def approve_applicant(
    session: AsyncSession, application: Application, context: CloseContext
) -> None:
    """Everything approval means, in the closing transaction: status, mentor, card, groups."""
    applicant_id = application.applicant_id
    await change_status(
        session,
        actor_id=None,
        account_id=applicant_id,
        target=S.ACTIVE,
        reason="approved by the Roots vote",
    )
    membership = await load_membership(session, applicant_id)
    await mentoring_service.propose_mentor(
        session,
        mentee=Mentee(
            account_id=applicant_id,
            languages=parse_languages(membership.languages)
            or frozenset({(await _account(session, applicant_id)).language}),
            city=membership.city,
            region=membership.region,
        ),
    )
    await issue_card(session, context.card_signer, actor_id=None, account_id=applicant_id)
    for group_id in filter(None, application.working_groups.split(",")):
        await join_group(session, account_id=applicant_id, group_id=uuid.UUID(group_id))
    pseudonym = (await _account(session, applicant_id)).pseudonym
    active_room = await room_rooms.ensure_active_members_room(session)
    introduction = await room_messages.post_system_message(
        session,
        room_id=active_room.id,
        text=f"Please welcome {pseudonym}, who joins the active members today.",
    )
    await audit.record(
        session,
        actor_id=None,
        action="membership.approved",
        subject=f"account:{applicant_id}",
        details={"application": str(application.id), "introduction": introduction.seq},
    )


async def _account(session: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return account


async def _voter_row(
    session: AsyncSession, vote_id: uuid.UUID, account_id: uuid.UUID
) -> VoteVoter | None:
    statement = (
        select(VoteVoter)
        .where(VoteVoter.vote_id == vote_id)
        .where(VoteVoter.account_id == account_id)
    )
    return (await session.exec(statement)).first()


async def _note_participation(session: AsyncSession, account_id: uuid.UUID) -> None:
    membership = await session.get(Membership, account_id)
    if membership is not None:
        membership.last_participation_at = utc_now()
        session.add(membership)


async def cast_ballot(
    session: AsyncSession,
    *,
    voter_id: uuid.UUID,
    vote_id: uuid.UUID,
    choice: str,
    notes: dict[uuid.UUID, str],
    context: CloseContext,
) -> Vote:
    """Cast or change a ballot until the vote closes. One ballot per voter."""
    vote = await close_vote_if_due(session, vote_id, context)
    voter = await _voter_row(session, vote.id, voter_id)
    if voter is None:
        raise Forbidden(
            "You are not among this vote's voters (the list was fixed when it opened).",
            code="not_a_voter",
        )
    if vote.closed_at is not None:
        raise Conflict("This vote has closed.", code="vote_closed")
    if voter.recused_at is not None:
        raise Conflict("You recused yourself from this vote.")
    await require_current_signature(session, voter_id, AgreementKind.COMMUNITY_RULES)
    await require_current_signature(session, voter_id, AgreementKind.ACTIVE_MEMBER_RULES)
    criteria = {c.id for c in await list_criteria(session)}
    if unknown := set(notes) - criteria:
        raise InvalidInput(
            "A note names a criterion that does not exist.",
            fields={"notes": f"Unknown criteria: {', '.join(map(str, unknown))}."},
        )
    ballot = (
        await session.exec(
            select(Ballot).where(Ballot.vote_id == vote.id).where(Ballot.voter_id == voter_id)
        )
    ).first()
    ballot = ballot or Ballot(vote_id=vote.id, voter_id=voter_id, choice=choice, cast_at=utc_now())
    ballot.choice = choice
    ballot.notes = json.dumps({str(k): v for k, v in notes.items()})
    ballot.cast_at = utc_now()
    session.add(ballot)
    await session.flush()
    await _note_participation(session, voter_id)
    # Which way is never logged: only that a ballot was cast.
    await audit.record(
        session, actor_id=voter_id, action="vote.ballot_cast", subject=f"vote:{vote.id}"
    )
    return await close_vote_if_due(session, vote.id, context)


async def recuse(
    session: AsyncSession,
    *,
    voter_id: uuid.UUID,
    vote_id: uuid.UUID,
    reason: str,
    context: CloseContext,
) -> Vote:
    vote = await close_vote_if_due(session, vote_id, context)
    voter = await _voter_row(session, vote.id, voter_id)
    if voter is None:
        raise Forbidden("You are not among this vote's voters.", code="not_a_voter")
    if vote.closed_at is not None:
        raise Conflict("This vote has closed.", code="vote_closed")
    voter.recused_at = utc_now()
    voter.recusal_reason = reason
    session.add(voter)
    ballot = (
        await session.exec(
            select(Ballot).where(Ballot.vote_id == vote.id).where(Ballot.voter_id == voter_id)
        )
    ).first()
    if ballot is not None:
        await session.delete(ballot)
    await session.flush()
    await audit.record(
        session,
        actor_id=voter_id,
        action="vote.recused",
        subject=f"vote:{vote.id}",
        details={"reason": reason},
    )
    return await close_vote_if_due(session, vote.id, context)


@dataclass(frozen=True)
class VoteView:
    vote: Vote
    applicant: str
    tally: rules.Tally
    show_tally: bool
    i_may_vote: bool
    i_recused: bool
    my_choice: str | None


async def view_vote(
    session: AsyncSession, *, actor_id: uuid.UUID, grants: Grants, vote_id: uuid.UUID
) -> VoteView:
    """What the actor may see of a vote: turnout always; outcome after close; the exact
    tally only above the minimum number of ballots; her own ballot; never anyone else's."""
    vote = await session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    application = await get_application(session, vote.application_id)
    voter = await _voter_row(session, vote.id, actor_id)
    if voter is None and not grants.can(Capability.MEMBERSHIP_READ):
        raise NotFound()
    if application.applicant_id == actor_id:
        raise NotFound()
    tally = await _tally(session, vote)
    ballot = (
        await session.exec(
            select(Ballot).where(Ballot.vote_id == vote.id).where(Ballot.voter_id == actor_id)
        )
    ).first()
    return VoteView(
        vote=vote,
        applicant=(await _account(session, application.applicant_id)).pseudonym,
        tally=tally,
        show_tally=vote.closed_at is not None
        and rules.tally_may_be_shown(tally, vote.min_ballots_for_tally),
        i_may_vote=voter is not None and voter.recused_at is None and vote.closed_at is None,
        i_recused=voter is not None and voter.recused_at is not None,
        my_choice=ballot.choice if ballot else None,
    )


async def list_open_votes(session: AsyncSession) -> list[Vote]:
    statement = select(Vote).where(col(Vote.closed_at).is_(None)).order_by(col(Vote.deadline))
    return list((await session.exec(statement)).all())


async def close_due_votes(session: AsyncSession, context: CloseContext) -> int:
    closed = 0
    for vote in await list_open_votes(session):
        if (await close_vote_if_due(session, vote.id, context)).closed_at is not None:
            closed += 1
    return closed


async def remind_voters(session: AsyncSession) -> int:
    """Voters who have not voted, from 24 hours before the deadline; once per vote and
    voter (the producer's dedupe key). Recused voters and the applicant never get it."""
    now = utc_now()
    reminded = 0
    for vote in await list_open_votes(session):
        if not vote.deadline - BALLOT_REMINDER_BEFORE <= now < vote.deadline:
            continue
        voted = select(Ballot.voter_id).where(Ballot.vote_id == vote.id)
        pending = (
            await session.exec(
                select(VoteVoter.account_id)
                .where(VoteVoter.vote_id == vote.id)
                .where(col(VoteVoter.recused_at).is_(None))
                .where(col(VoteVoter.account_id).not_in(voted))
            )
        ).all()
        application = await get_application(session, vote.application_id)
        reminded += len(
            await notify.ballot_reminder(
                session,
                voters=[v for v in pending if v != application.applicant_id],
                applicant=(await _account(session, application.applicant_id)).pseudonym,
                vote_id=vote.id,
                deadline=vote.deadline,
            )
        )
    return reminded


async def mark_inactive_members(session: AsyncSession) -> int:
    """Active members who have not taken part for the configured period become non-active."""
    community_rules = await get_rules(session)
    cutoff = utc_now() - timedelta(days=community_rules.inactive_after_days)
    statement = (
        select(Membership.account_id)
        .where(Membership.status == S.ACTIVE.value)
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


# ---------------------------------------------------------------- cards


async def issue_card(
    session: AsyncSession, signer: CardSigner, *, actor_id: uuid.UUID | None, account_id: uuid.UUID
) -> Card:
    """A new card; any earlier valid card of hers is revoked (one card at a time)."""
    await revoke_cards_of(session, actor_id=actor_id, account_id=account_id, reason="replaced")
    now = utc_now()
    days = (await get_rules(session)).card_valid_days
    card = Card(
        number=new_card_number(),
        account_id=account_id,
        issued_at=now.replace(microsecond=0),
        expires_at=(now + timedelta(days=days)).replace(microsecond=0),
        key_id=str(signer.current.kid),
    )
    session.add(card)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="card.issued",
        subject=f"account:{account_id}",
        details={"card": card.number},
    )
    await notify.card_issued(session, account_id=account_id)
    return card


async def revoke_cards_of(
    session: AsyncSession, *, actor_id: uuid.UUID | None, account_id: uuid.UUID, reason: str
) -> int:
    statement = (
        select(Card).where(Card.account_id == account_id).where(Card.status == CardStatus.VALID)
    )
    revoked = 0
    for card in (await session.exec(statement)).all():
        card.status = CardStatus.REVOKED.value
        card.revoked_at = utc_now()
        card.revoked_reason = reason
        session.add(card)
        revoked += 1
        await audit.record(
            session,
            actor_id=actor_id,
            action="card.revoked",
            subject=f"account:{account_id}",
            details={"card": card.number, "reason": reason},
        )
    await session.flush()
    # A card replaced by a new one is not news: the new card's notice says it.
    if revoked and reason != "replaced":
        await notify.card_revoked(session, account_id=account_id)
    return revoked


async def revoke_card(
    session: AsyncSession, *, officer_id: uuid.UUID, number: str, reason: str
) -> Card:
    card = (await session.exec(select(Card).where(Card.number == number.upper()))).first()
    if card is None:
        raise NotFound()
    if card.status == CardStatus.REVOKED:
        raise Conflict("This card is revoked already.")
    card.status = CardStatus.REVOKED.value
    card.revoked_at = utc_now()
    card.revoked_reason = reason
    session.add(card)
    await audit.record(
        session,
        actor_id=officer_id,
        action="card.revoked",
        subject=f"account:{card.account_id}",
        details={"card": card.number, "reason": reason},
    )
    await notify.card_revoked(session, account_id=card.account_id)
    return card


async def remind_expiring_cards(session: AsyncSession) -> int:
    """Valid cards within 30 days of expiry: their holder hears once per card."""
    now = utc_now()
    cards = (
        await session.exec(
            select(Card)
            .where(Card.status == CardStatus.VALID.value)
            .where(Card.expires_at > now)
            .where(Card.expires_at <= now + CARD_EXPIRY_NOTICE)
        )
    ).all()
    told = 0
    for card in cards:
        told += len(
            await notify.card_expiring(
                session,
                account_id=card.account_id,
                card_number=card.number,
                expires_at=card.expires_at,
            )
        )
    return told


async def my_card(session: AsyncSession, account_id: uuid.UUID) -> Card | None:
    statement = (
        select(Card)
        .where(Card.account_id == account_id)
        .order_by(col(Card.issued_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


def card_token(signer: CardSigner, card: Card, pseudonym: str) -> str:
    return signer.sign(
        CardClaims(
            number=card.number,
            pseudonym=pseudonym,
            issued_at=card.issued_at,
            expires_at=card.expires_at,
        )
    )


@dataclass(frozen=True)
class Verification:
    result: str
    card: Card | None = None
    pseudonym: str | None = None


async def verify_card(
    session: AsyncSession, signer: CardSigner, *, token: str | None, number: str | None
) -> Verification:
    """valid / expired / revoked / unknown. A forged or altered token reads as unknown."""
    if token:
        claims = signer.read(token)
        if claims is None:
            return Verification("unknown")
        number = str(claims["num"])
    if not number:
        return Verification("unknown")
    normalised = "".join(ch for ch in number.upper() if ch.isalnum())
    if len(normalised) != 12:
        return Verification("unknown")
    formatted = f"{normalised[:4]}-{normalised[4:8]}-{normalised[8:]}"
    statement = select(Card, Account).join(Account, col(Account.id) == col(Card.account_id))
    found = (await session.exec(statement.where(Card.number == formatted))).first()
    if found is None:
        return Verification("unknown")
    card, account = found
    if card.status == CardStatus.REVOKED:
        return Verification("revoked", card, account.pseudonym)
    if utc_now() >= card.expires_at:
        return Verification("expired", card, account.pseudonym)
    return Verification("valid", card, account.pseudonym)


# ---------------------------------------------------------------- working groups


async def create_group(
    session: AsyncSession, *, actor_id: uuid.UUID, name: str, description: str
) -> WorkingGroup:
    cleaned = " ".join(name.split())
    exists = (
        await session.exec(select(WorkingGroup).where(WorkingGroup.name_key == cleaned.casefold()))
    ).first()
    if exists is not None:
        raise Conflict("A working group with this name exists.", fields={"name": "Taken."})
    room = await room_rooms.create_working_group_room(session, name=cleaned, created_by=actor_id)
    group = WorkingGroup(
        name=cleaned,
        name_key=cleaned.casefold(),
        description=description,
        created_by=actor_id,
        created_at=utc_now(),
        room_id=room.id,
    )
    session.add(group)
    await session.flush()
    await join_group(session, account_id=actor_id, group_id=group.id)
    await audit.record(
        session, actor_id=actor_id, action="group.created", subject=f"group:{group.id}"
    )
    return group


async def join_group(
    session: AsyncSession, *, account_id: uuid.UUID, group_id: uuid.UUID
) -> WorkingGroupMember:
    group = await session.get(WorkingGroup, group_id)
    if group is None:
        raise NotFound()
    if group.room_id is not None:
        await room_rooms.add_room_member(session, room_id=group.room_id, account_id=account_id)
    existing = (
        await session.exec(
            select(WorkingGroupMember)
            .where(WorkingGroupMember.group_id == group_id)
            .where(WorkingGroupMember.account_id == account_id)
        )
    ).first()
    if existing is not None:
        return existing
    member = WorkingGroupMember(group_id=group_id, account_id=account_id, joined_at=utc_now())
    session.add(member)
    await session.flush()
    return member


async def leave_group(session: AsyncSession, *, account_id: uuid.UUID, group_id: uuid.UUID) -> None:
    existing = (
        await session.exec(
            select(WorkingGroupMember)
            .where(WorkingGroupMember.group_id == group_id)
            .where(WorkingGroupMember.account_id == account_id)
        )
    ).first()
    if existing is None:
        raise NotFound()
    group = await session.get(WorkingGroup, group_id)
    if group is not None and group.room_id is not None:
        await room_rooms.remove_room_member(session, room_id=group.room_id, account_id=account_id)
    await session.delete(existing)


async def list_groups(
    session: AsyncSession, account_id: uuid.UUID
) -> list[tuple[WorkingGroup, int, bool]]:
    counts = dict(
        (
            await session.exec(
                select(WorkingGroupMember.group_id, func.count()).group_by(
                    col(WorkingGroupMember.group_id)
                )
            )
        ).all()
    )
    mine = set(
        (
            await session.exec(
                select(WorkingGroupMember.group_id).where(
                    WorkingGroupMember.account_id == account_id
                )
            )
        ).all()
    )
    groups = (await session.exec(select(WorkingGroup).order_by(col(WorkingGroup.name)))).all()
    return [(g, int(counts.get(g.id, 0)), g.id in mine) for g in groups]
