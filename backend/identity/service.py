"""Sealing identities, and opening them only with two officers (or break-glass, reviewed)."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import Account
from backend.core import audit
from backend.core.denials import PrivilegedActionDenied
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.time import utc_now
from backend.identity.models import (
    IdentityDisclosure,
    SealedIdentity,
    UnsealRequest,
    UnsealStatus,
)
from backend.identity.vault import SealedBox, Vault

OPEN_STATUSES = (UnsealStatus.APPROVED, UnsealStatus.EMERGENCY)


def _box(row: SealedIdentity) -> SealedBox:
    return SealedBox(row.key_id, row.wrapped_key, row.nonce, row.ciphertext)


async def seal_identity(
    session: AsyncSession, vault: Vault, *, account_id: uuid.UUID, fields: dict[str, Any]
) -> SealedIdentity:
    """Store (or replace) the person's sealed identity. Only she writes it."""
    box = vault.seal(account_id, fields)
    row = await session.get(SealedIdentity, account_id)
    if row is None:
        row = SealedIdentity(account_id=account_id, updated_at=utc_now(), **box.__dict__)
    else:
        row.key_id, row.wrapped_key = box.key_id, box.wrapped_key
        row.nonce, row.ciphertext = box.nonce, box.ciphertext
        row.updated_at = utc_now()
    session.add(row)
    await session.flush()
    # What changed is not logged: only that it did.
    await audit.record(
        session, actor_id=account_id, action="identity.sealed", subject=f"account:{account_id}"
    )
    return row


async def read_own_identity(
    session: AsyncSession, vault: Vault, account_id: uuid.UUID
) -> tuple[dict[str, Any], datetime] | None:
    row = await session.get(SealedIdentity, account_id)
    if row is None:
        return None
    return vault.open(account_id, _box(row)), row.updated_at


# What payroll needs to pay someone, and nothing else (no contact, no notes).
PAYROLL_FIELDS = ("legal_name", "date_of_birth", "address")


async def read_identity_for_payroll(
    session: AsyncSession,
    vault: Vault,
    *,
    reader_id: uuid.UUID,
    account_id: uuid.UUID,
    organisation_id: uuid.UUID,
    reason: str,
) -> dict[str, Any]:
    """The payroll fields of someone's identity, for a reader the caller has checked holds
    the payroll capability for an organisation she works for.

    Logged in the audit log and in her own list of who looked at her identity.
    """
    row = await session.get(SealedIdentity, account_id)
    if row is None:
        raise NotFound("She has not stored identity details yet.")
    opened = vault.open(account_id, _box(row))
    session.add(
        IdentityDisclosure(
            account_id=account_id,
            read_by=reader_id,
            purpose="payroll",
            organisation_id=organisation_id,
            reason=reason,
            fields=",".join(PAYROLL_FIELDS),
            read_at=utc_now(),
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor_id=reader_id,
        action="identity.read_for_payroll",
        subject=f"account:{account_id}",
        details={"organisation": str(organisation_id), "reason": reason},
    )
    return {name: opened.get(name) for name in PAYROLL_FIELDS}


async def list_disclosures_of(
    session: AsyncSession, account_id: uuid.UUID
) -> tuple[list[IdentityDisclosure], dict[uuid.UUID, str]]:
    statement = (
        select(IdentityDisclosure)
        .where(IdentityDisclosure.account_id == account_id)
        .order_by(col(IdentityDisclosure.read_at).desc())
    )
    rows = list((await session.exec(statement)).all())
    return rows, await pseudonyms_of(session, {r.read_by for r in rows})


def open_until(request: UnsealRequest, window: timedelta) -> datetime | None:
    if request.status == UnsealStatus.APPROVED and request.decided_at is not None:
        return request.decided_at + window
    if request.status == UnsealStatus.EMERGENCY:
        return request.created_at + window
    return None


async def request_unseal(
    session: AsyncSession,
    *,
    officer_id: uuid.UUID,
    account_id: uuid.UUID,
    reason: str,
    emergency: bool,
) -> UnsealRequest:
    """Ask to open someone's identity. Break-glass opens it at once and asks for a review."""
    if account_id == officer_id:
        raise Conflict("Your own identity is on your identity page; no request is needed.")
    if await session.get(SealedIdentity, account_id) is None:
        raise NotFound("There is no sealed identity for this account.")
    request = UnsealRequest(
        account_id=account_id,
        requested_by=officer_id,
        reason=reason,
        status=UnsealStatus.EMERGENCY if emergency else UnsealStatus.PENDING,
        created_at=utc_now(),
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor_id=officer_id,
        action="identity.unseal_emergency" if emergency else "identity.unseal_requested",
        subject=f"account:{account_id}",
        details={"request": str(request.id), "reason": reason},
    )
    return request


async def _lock_request(session: AsyncSession, request_id: uuid.UUID) -> UnsealRequest:
    statement = select(UnsealRequest).where(UnsealRequest.id == request_id).with_for_update()
    request = (await session.exec(statement)).first()
    if request is None:
        raise NotFound()
    return request


async def decide_unseal(
    session: AsyncSession,
    *,
    officer_id: uuid.UUID,
    request_id: uuid.UUID,
    approve: bool,
    note: str | None,
) -> UnsealRequest:
    """Approve or decline a pending request. Locks the request row: two officers deciding
    at once cannot both win. The requester can never approve her own request."""
    request = await _lock_request(session, request_id)
    if request.status != UnsealStatus.PENDING:
        raise Conflict(f"This request is already {request.status}.")
    # Deciding on one's own request (or about oneself) is how the two-officer rule would be
    # broken: a refused try is logged and counted like a missing capability.
    if request.requested_by == officer_id:
        raise PrivilegedActionDenied(
            "A second officer must decide on this request: you asked for it.",
            actor_id=officer_id,
            attempted="identity.unseal_decide",
            code="second_officer_required",
        )
    if request.account_id == officer_id:
        raise PrivilegedActionDenied(
            "You cannot decide on a request about yourself.",
            actor_id=officer_id,
            attempted="identity.unseal_decide",
        )
    request.status = UnsealStatus.APPROVED if approve else UnsealStatus.DECLINED
    request.decided_by = officer_id
    request.decided_at = utc_now()
    request.decision_note = note
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor_id=officer_id,
        action="identity.unseal_approved" if approve else "identity.unseal_declined",
        subject=f"account:{request.account_id}",
        details={"request": str(request.id)},
    )
    return request


async def review_emergency(
    session: AsyncSession, *, officer_id: uuid.UUID, request_id: uuid.UUID, note: str
) -> UnsealRequest:
    request = await _lock_request(session, request_id)
    if request.status != UnsealStatus.EMERGENCY:
        raise Conflict("Only break-glass openings are reviewed.")
    if request.reviewed_at is not None:
        raise Conflict("This opening was reviewed already.")
    if request.requested_by == officer_id:
        raise PrivilegedActionDenied(
            "Another officer must review a break-glass opening.",
            actor_id=officer_id,
            attempted="identity.unseal_review",
            code="second_officer_required",
        )
    request.reviewed_by = officer_id
    request.reviewed_at = utc_now()
    request.review_note = note
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor_id=officer_id,
        action="identity.unseal_reviewed",
        subject=f"account:{request.account_id}",
        details={"request": str(request.id), "note": note},
    )
    return request


async def open_identity(
    session: AsyncSession,
    vault: Vault,
    *,
    officer_id: uuid.UUID,
    request_id: uuid.UUID,
    window: timedelta,
) -> tuple[dict[str, Any], datetime, uuid.UUID]:
    """The opened identity, for the officer who asked, while the request is open."""
    request = await session.get(UnsealRequest, request_id)
    if request is None or request.requested_by != officer_id:
        raise NotFound()
    until = open_until(request, window)
    if until is None:
        raise PrivilegedActionDenied(
            "This request has not been approved by a second officer.",
            actor_id=officer_id,
            attempted="identity.unseal_open",
        )
    if utc_now() >= until:
        raise Forbidden("This request has expired. Ask again if you still need it.")
    row = await session.get(SealedIdentity, request.account_id)
    if row is None:
        raise NotFound("There is no sealed identity for this account.")
    request.open_count += 1
    request.last_opened_at = utc_now()
    session.add(request)
    await audit.record(
        session,
        actor_id=officer_id,
        action="identity.unsealed",
        subject=f"account:{request.account_id}",
        details={"request": str(request.id)},
    )
    return vault.open(request.account_id, _box(row)), row.updated_at, request.account_id


async def pseudonyms_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = (await session.exec(select(Account).where(col(Account.id).in_(ids)))).all()
    return {row.id: row.pseudonym for row in rows}


async def list_unseal_requests(
    session: AsyncSession, *, status: UnsealStatus | None, needs_review: bool = False
) -> tuple[list[UnsealRequest], dict[uuid.UUID, str]]:
    statement = select(UnsealRequest).order_by(col(UnsealRequest.created_at).desc()).limit(200)
    if status is not None:
        statement = statement.where(UnsealRequest.status == status)
    if needs_review:
        statement = statement.where(UnsealRequest.status == UnsealStatus.EMERGENCY).where(
            col(UnsealRequest.reviewed_at).is_(None)
        )
    requests = list((await session.exec(statement)).all())
    ids: set[uuid.UUID] = set()
    for r in requests:
        ids.update(x for x in (r.account_id, r.requested_by, r.decided_by, r.reviewed_by) if x)
    return requests, await pseudonyms_of(session, ids)


async def list_unsealings_of(
    session: AsyncSession, account_id: uuid.UUID
) -> tuple[list[UnsealRequest], dict[uuid.UUID, str]]:
    """Every time her identity was opened or may be opened: approved and break-glass requests.

    Pending and declined requests are not shown: her identity was not opened.
    """
    statement = (
        select(UnsealRequest)
        .where(UnsealRequest.account_id == account_id)
        .where(col(UnsealRequest.status).in_(OPEN_STATUSES))
        .order_by(col(UnsealRequest.created_at).desc())
    )
    requests = list((await session.exec(statement)).all())
    ids: set[uuid.UUID] = set()
    for r in requests:
        ids.update(x for x in (r.requested_by, r.decided_by) if x)
    return requests, await pseudonyms_of(session, ids)


async def rotate_master_key(session: AsyncSession, vault: Vault) -> int:
    """Re-wrap every data key under the vault's current master key; returns how many moved."""
    statement = select(SealedIdentity).where(SealedIdentity.key_id != vault.keys.current_key_id)
    moved = 0
    for row in (await session.exec(statement)).all():
        box = vault.rewrap(row.account_id, _box(row))
        row.key_id, row.wrapped_key = box.key_id, box.wrapped_key
        session.add(row)
        moved += 1
    await session.flush()
    await audit.record(
        session,
        actor_id=None,
        action="identity.keys_rotated",
        details={"rewrapped": moved, "key_id": vault.keys.current_key_id},
    )
    return moved
