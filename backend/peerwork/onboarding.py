"""Inviting members to work for an organisation, supervisors, and the end of work."""

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Role
from backend.auth.models import RoleGrant
from backend.core import audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.identity import service as identity_service
from backend.identity.vault import Vault
from backend.membership import status as status_service
from backend.membership.models import MemberStatus
from backend.peerwork import notices as notice_service
from backend.peerwork.models import PeerWorker, WorkerStatus

MEMBER_STATUSES = frozenset({MemberStatus.MEMBER, MemberStatus.CANDIDATE, MemberStatus.ACTIVE})


async def staff_of(
    session: AsyncSession, organisation_id: uuid.UUID, role: Role
) -> list[uuid.UUID]:
    statement = (
        select(RoleGrant.account_id)
        .where(RoleGrant.organisation_id == organisation_id)
        .where(RoleGrant.role == role)
    )
    return sorted(set((await session.exec(statement)).all()), key=str)


async def invite_worker(
    session: AsyncSession, *, actor_id: uuid.UUID, organisation_id: uuid.UUID, pseudonym: str
) -> PeerWorker:
    """Invite a member to work for the organisation; nothing changes until she accepts."""
    account = await auth_service.get_account_by_pseudonym(session, pseudonym)
    if account is None:
        raise NotFound("No member has this pseudonym.")
    membership = await status_service.load_membership(session, account.id)
    if membership.status not in MEMBER_STATUSES:
        # The same answer as for no account: staff learn nothing about non-members.
        raise NotFound("No member has this pseudonym.")
    existing = (
        await session.exec(
            select(PeerWorker)
            .where(PeerWorker.organisation_id == organisation_id)
            .where(PeerWorker.account_id == account.id)
        )
    ).first()
    if existing is not None and existing.status in (WorkerStatus.INVITED, WorkerStatus.ACTIVE):
        raise Conflict(f"She is already {existing.status} here.")
    worker = existing or PeerWorker(
        organisation_id=organisation_id,
        account_id=account.id,
        invited_by=actor_id,
        invited_at=utc_now(),
    )
    worker.status = WorkerStatus.INVITED
    worker.invited_by, worker.invited_at, worker.answered_at = actor_id, utc_now(), None
    session.add(worker)
    await session.flush()
    await notice_service.notify(
        session, account_id=account.id, organisation_id=organisation_id, kind="invitation"
    )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.worker_invited",
        subject=f"peer_worker:{worker.id}",
        details={"organisation": str(organisation_id), "account": str(account.id)},
    )
    return worker


async def list_my_invitations(session: AsyncSession, account_id: uuid.UUID) -> list[PeerWorker]:
    statement = select(PeerWorker).where(PeerWorker.account_id == account_id)
    return list((await session.exec(statement)).all())


async def answer_invitation(
    session: AsyncSession, *, worker: PeerWorker, accept: bool, shared_name: str | None
) -> PeerWorker:
    """She accepts (and becomes a peer worker of the organisation) or declines.

    The caller locked the row through ``access_invitation``.
    """
    if worker.status != WorkerStatus.INVITED:
        raise Conflict(f"This invitation is {worker.status}.")
    membership = await status_service.load_membership(session, worker.account_id)
    if accept and membership.status not in MEMBER_STATUSES:
        raise Conflict("Peer workers are members of the community.")
    worker.status = WorkerStatus.ACTIVE if accept else WorkerStatus.DECLINED
    worker.answered_at = utc_now()
    if accept:
        worker.shared_name = shared_name
        await auth_service.grant_role(
            session,
            actor_id=worker.account_id,
            account_id=worker.account_id,
            role=Role.PEER_WORKER,
            organisation_id=worker.organisation_id,
        )
    session.add(worker)
    await session.flush()
    await audit.record(
        session,
        actor_id=worker.account_id,
        action="peerwork.invitation_accepted" if accept else "peerwork.invitation_declined",
        subject=f"peer_worker:{worker.id}",
        details={"organisation": str(worker.organisation_id)},
    )
    return worker


async def list_workers(session: AsyncSession, organisation_id: uuid.UUID) -> list[PeerWorker]:
    statement = (
        select(PeerWorker)
        .where(PeerWorker.organisation_id == organisation_id)
        .order_by(col(PeerWorker.invited_at))
    )
    return list((await session.exec(statement)).all())


def require_active(worker: PeerWorker) -> None:
    if worker.status != WorkerStatus.ACTIVE:
        raise Conflict("She has not accepted the invitation (or no longer works here).")


async def set_supervisor(
    session: AsyncSession, *, actor_id: uuid.UUID, worker: PeerWorker, supervisor_id: uuid.UUID
) -> PeerWorker:
    grants = await auth_service.load_grants(session, supervisor_id)
    if supervisor_id == worker.account_id or not (
        grants.can(Capability.PEERWORK_SCHEDULE, worker.organisation_id)
        or grants.can(Capability.PEERWORK_PAIR, worker.organisation_id)
    ):
        raise InvalidInput(
            "A supervisor is a coordinator or professional of the organisation.",
            fields={"account_id": "Not a coordinator or professional here."},
        )
    worker.supervisor_id = supervisor_id
    session.add(worker)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.supervisor_set",
        subject=f"peer_worker:{worker.id}",
        details={"supervisor": str(supervisor_id)},
    )
    return worker


async def end_work(session: AsyncSession, *, actor_id: uuid.UUID, worker: PeerWorker) -> None:
    """She stops working here: the organisation's peer-worker role goes with it."""
    require_active(worker)
    worker.status = WorkerStatus.ENDED
    session.add(worker)
    for grant in await auth_service.list_role_grants(session, worker.account_id):
        if grant.role == Role.PEER_WORKER and grant.organisation_id == worker.organisation_id:
            await auth_service.revoke_role(
                session, actor_id=actor_id, account_id=worker.account_id, grant_id=grant.id
            )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.worker_ended",
        subject=f"peer_worker:{worker.id}",
    )


async def read_payroll_identity(
    session: AsyncSession,
    vault: Vault,
    *,
    actor_id: uuid.UUID,
    worker: PeerWorker,
    reason: str,
) -> dict[str, Any]:
    if worker.status not in (WorkerStatus.ACTIVE, WorkerStatus.ENDED):
        raise NotFound()
    return await identity_service.read_identity_for_payroll(
        session,
        vault,
        reader_id=actor_id,
        account_id=worker.account_id,
        organisation_id=worker.organisation_id,
        reason=reason,
    )
