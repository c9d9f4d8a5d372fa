"""The only way to load a protected peer-work row.

Each function answers the same 404 for "absent" and "not yours": nobody can learn that
another organisation has a roster, a worker or a debrief by probing ids.
"""

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability, Grants
from backend.core.errors import NotFound
from backend.organisation.models import Organisation
from backend.peerwork.models import (
    Assignment,
    Contract,
    Debrief,
    PeerWorker,
    Roster,
    ShiftSwap,
    Timesheet,
    WorkerStatus,
)


def _can_any(
    grants: Grants, organisation_id: uuid.UUID, capabilities: tuple[Capability, ...]
) -> bool:
    return any(grants.can(c, organisation_id) for c in capabilities)


async def access_organisation(
    session: AsyncSession, grants: Grants, organisation_id: uuid.UUID, *capabilities: Capability
) -> Organisation:
    """The organisation, when the caller holds one of ``capabilities`` within it."""
    organisation = await session.get(Organisation, organisation_id)
    if (
        organisation is None
        or organisation.archived_at is not None
        or not _can_any(grants, organisation_id, capabilities)
    ):
        raise NotFound()
    return organisation


async def access_worker(
    session: AsyncSession, grants: Grants, worker_id: uuid.UUID, *capabilities: Capability
) -> PeerWorker:
    """A peer worker row of an organisation where the caller holds one of ``capabilities``."""
    worker = await session.get(PeerWorker, worker_id)
    if worker is None or not _can_any(grants, worker.organisation_id, capabilities):
        raise NotFound()
    return worker


async def access_contract(
    session: AsyncSession, grants: Grants, contract_id: uuid.UUID, *capabilities: Capability
) -> Contract:
    contract = await session.get(Contract, contract_id)
    if contract is None or not _can_any(grants, contract.organisation_id, capabilities):
        raise NotFound()
    return contract


async def access_invitation(
    session: AsyncSession, account_id: uuid.UUID, worker_id: uuid.UUID
) -> PeerWorker:
    """An invitation addressed to the caller that she has not answered yet.

    Locks the row: accepting twice at once grants the role once.
    """
    statement = select(PeerWorker).where(PeerWorker.id == worker_id).with_for_update()
    worker = (await session.exec(statement)).first()
    if worker is None or worker.account_id != account_id:
        raise NotFound()
    return worker


async def access_roster(
    session: AsyncSession,
    grants: Grants,
    roster_id: uuid.UUID,
    *capabilities: Capability,
    lock: bool = False,
) -> Roster:
    """A roster of an organisation the caller schedules for. ``lock`` takes the row lock that
    serialises publishing, hand edits and swap approvals on it."""
    statement = select(Roster).where(Roster.id == roster_id)
    if lock:
        statement = statement.with_for_update()
    roster = (await session.exec(statement)).first()
    if roster is None or not _can_any(grants, roster.organisation_id, capabilities):
        raise NotFound()
    return roster


async def access_own_assignment(
    session: AsyncSession, grants: Grants, account_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[Assignment, Roster]:
    """One of the caller's own assignments, on a published roster of an organisation she
    still works for."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.account_id != account_id:
        raise NotFound()
    roster = await session.get(Roster, assignment.roster_id)
    if roster is None or roster.status != "published":
        raise NotFound()
    if not _can_any(
        grants, assignment.organisation_id, (Capability.PEERWORK_WORK, Capability.PEERWORK_PAIR)
    ):
        raise NotFound()
    return assignment, roster


async def access_timesheet(
    session: AsyncSession, grants: Grants, timesheet_id: uuid.UUID, *, lock: bool = False
) -> Timesheet:
    """A timesheet of an organisation the caller schedules for; ``lock`` for deciding on it."""
    statement = select(Timesheet).where(Timesheet.id == timesheet_id)
    if lock:
        statement = statement.with_for_update()
    timesheet = (await session.exec(statement)).first()
    if timesheet is None or not grants.can(Capability.PEERWORK_SCHEDULE, timesheet.organisation_id):
        raise NotFound()
    return timesheet


async def access_swap(
    session: AsyncSession, grants: Grants, account_id: uuid.UUID, swap_id: uuid.UUID
) -> ShiftSwap:
    """A swap the caller is a party to, or one in an organisation she schedules for.

    Locks the row: an answer and an approval cannot cross.
    """
    statement = select(ShiftSwap).where(ShiftSwap.id == swap_id).with_for_update()
    swap = (await session.exec(statement)).first()
    if swap is None:
        raise NotFound()
    party = account_id in (swap.from_account_id, swap.to_account_id)
    if not party and not grants.can(Capability.PEERWORK_SCHEDULE, swap.organisation_id):
        raise NotFound()
    return swap


async def access_debrief(
    session: AsyncSession, account_id: uuid.UUID, debrief_id: uuid.UUID
) -> Debrief:
    """A debrief the caller wrote, or one addressed to her as supervisor. Nobody else:
    not other coordinators, not admins."""
    debrief = await session.get(Debrief, debrief_id)
    if debrief is None or account_id not in (debrief.account_id, debrief.supervisor_id):
        raise NotFound()
    return debrief


async def active_worker_of(
    session: AsyncSession, organisation_id: uuid.UUID, account_id: uuid.UUID
) -> PeerWorker | None:
    statement = (
        select(PeerWorker)
        .where(PeerWorker.organisation_id == organisation_id)
        .where(PeerWorker.account_id == account_id)
        .where(PeerWorker.status == WorkerStatus.ACTIVE)
    )
    return (await session.exec(statement)).first()


async def access_own_worker(
    session: AsyncSession, grants: Grants, account_id: uuid.UUID, organisation_id: uuid.UUID
) -> PeerWorker:
    """The caller's own active peer-worker row in an organisation where she works.

    An organisation she does not work for answers the same 404 as one that does not exist.
    """
    await access_organisation(session, grants, organisation_id, Capability.PEERWORK_WORK)
    worker = await active_worker_of(session, organisation_id, account_id)
    if worker is None:
        raise NotFound()
    return worker
