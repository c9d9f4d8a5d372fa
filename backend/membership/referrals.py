"""Referrals: a coordinator or an active member vouches for someone with an invitation code."""

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Grants
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import NotFound, TooManyAttempts
from backend.core.time import utc_now
from backend.identity.vault import Vault
from backend.membership import agreements as agreement_service
from backend.membership import errors as membership_errors
from backend.membership import settings as membership_settings
from backend.membership.models import (
    AgreementKind,
    Membership,
    MemberStatus,
    Referral,
)

INVITATION_DAYS = 30


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
            raise membership_errors.OrganisationRequired()
        await agreement_service.require_current_signature(
            session, actor_id, AgreementKind.COMMUNITY_RULES
        )
        community_rules = await membership_settings.get_rules(session)
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
            raise membership_errors.ReferralBudgetUsed(
                f"You have used your {community_rules.referrals_per_period} referrals for "
                f"this period of {community_rules.referral_period_days} days.",
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
        raise membership_errors.InvitationRefused()
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
            status=MemberStatus.NEWCOMER,
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
