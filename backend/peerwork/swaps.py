"""Swaps: she asks a colleague to take her place, the colleague answers, a coordinator decides."""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability, Grants, Role
from backend.core import audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.peerwork import notices as notice_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import timesheets as timesheet_service
from backend.peerwork.errors import ConstraintViolated
from backend.peerwork.models import Assignment, AssignmentRole, Roster, Shift, ShiftSwap, SwapStatus
from backend.peerwork.roster import facts as roster_facts
from backend.peerwork.roster import service as roster_service


async def propose_swap(
    session: AsyncSession, *, assignment: Assignment, roster_row: Roster, to_account_id: uuid.UUID
) -> ShiftSwap:
    """She asks a colleague to take her place. Checked now, and again at each step."""
    if to_account_id == assignment.account_id:
        raise InvalidInput("Ask someone else.", fields={"to_account_id": "That is you."})
    shift = await session.get(Shift, assignment.shift_id)
    if shift is None or shift.starts_at <= utc_now():
        raise Conflict("This shift has started; it can no longer be swapped.")
    await _check_swap(session, roster_row, assignment, to_account_id)
    swap = ShiftSwap(
        organisation_id=assignment.organisation_id,
        assignment_id=assignment.id,
        from_account_id=assignment.account_id,
        to_account_id=to_account_id,
        created_at=utc_now(),
    )
    session.add(swap)
    await session.flush()
    await notice_service.notify(
        session, account_id=to_account_id, organisation_id=swap.organisation_id, kind="swap_asked"
    )
    await audit.record(
        session,
        actor_id=assignment.account_id,
        action="peerwork.swap_proposed",
        subject=f"shift_swap:{swap.id}",
    )
    return swap


async def _check_swap(
    session: AsyncSession, roster_row: Roster, assignment: Assignment, to_account_id: uuid.UUID
) -> None:
    team, near = await roster_facts.load_roster_team(session, roster_row)
    # The colleague's place is checked as if she were not on it yet, without the leaver.
    reasons = roster_service.check_placement(
        team,
        near,
        shift_id=assignment.shift_id,
        account_id=to_account_id,
        role=assignment.role,
        ignore=assignment.id,
    )
    if reasons:
        raise ConstraintViolated(reasons)


async def answer_swap(
    session: AsyncSession, *, swap: ShiftSwap, account_id: uuid.UUID, accept: bool
) -> ShiftSwap:
    if swap.to_account_id != account_id:
        raise NotFound()
    if swap.status != SwapStatus.PROPOSED:
        raise Conflict(f"This swap is {swap.status}.")
    if accept:
        assignment, roster_row = await _swap_parts(session, swap)
        await _check_swap(session, roster_row, assignment, swap.to_account_id)
    swap.status = SwapStatus.ACCEPTED if accept else SwapStatus.DECLINED
    swap.answered_at = utc_now()
    session.add(swap)
    await session.flush()
    await notice_service.notify(
        session,
        account_id=swap.from_account_id,
        organisation_id=swap.organisation_id,
        kind="swap_answered",
    )
    if accept:
        for coordinator in await onboarding_service.staff_of(
            session, swap.organisation_id, Role.COORDINATOR
        ):
            await notice_service.notify(
                session,
                account_id=coordinator,
                organisation_id=swap.organisation_id,
                kind="swap_to_approve",
            )
    await audit.record(
        session,
        actor_id=account_id,
        action="peerwork.swap_accepted" if accept else "peerwork.swap_declined",
        subject=f"shift_swap:{swap.id}",
    )
    return swap


async def cancel_swap(
    session: AsyncSession, *, swap: ShiftSwap, account_id: uuid.UUID
) -> ShiftSwap:
    if swap.from_account_id != account_id:
        raise NotFound()
    if swap.status not in (SwapStatus.PROPOSED, SwapStatus.ACCEPTED):
        raise Conflict(f"This swap is {swap.status}.")
    swap.status = SwapStatus.CANCELLED
    session.add(swap)
    await audit.record(
        session,
        actor_id=account_id,
        action="peerwork.swap_cancelled",
        subject=f"shift_swap:{swap.id}",
    )
    return swap


async def _swap_parts(
    session: AsyncSession, swap: ShiftSwap, *, lock: bool = False
) -> tuple[Assignment, Roster]:
    assignment = await session.get(Assignment, swap.assignment_id)
    if assignment is None or assignment.account_id != swap.from_account_id:
        raise Conflict("The shift changed since this swap was asked for.")
    statement = select(Roster).where(Roster.id == assignment.roster_id)
    if lock:
        statement = statement.with_for_update()
    roster_row = (await session.exec(statement)).first()
    if roster_row is None:
        raise NotFound()
    return assignment, roster_row


async def decide_swap(
    session: AsyncSession,
    *,
    swap: ShiftSwap,
    actor_id: uuid.UUID,
    grants: Grants,
    approve: bool,
    reason: str | None,
) -> ShiftSwap:
    """A coordinator approves (the place moves, checked once more under the roster's lock)
    or refuses an accepted swap."""
    if not grants.can(Capability.PEERWORK_SCHEDULE, swap.organisation_id):
        raise NotFound()
    if swap.status != SwapStatus.ACCEPTED:
        raise Conflict(f"Only an accepted swap is decided; this one is {swap.status}.")
    if approve:
        assignment, roster_row = await _swap_parts(session, swap, lock=True)
        await _check_swap(session, roster_row, assignment, swap.to_account_id)
        if await timesheet_service.has_timesheet(session, assignment.id):
            raise Conflict("Hours were confirmed for this shift already.")
        assignment.account_id = swap.to_account_id
        assignment.by_hand = True
        session.add(assignment)
        if assignment.role == AssignmentRole.PROFESSIONAL:
            for peer in await roster_service.list_assignments(session, roster_row.id):
                if peer.shift_id == assignment.shift_id and peer.partner_id == swap.from_account_id:
                    peer.partner_id = swap.to_account_id
                    session.add(peer)
        await roster_service.record_change(
            session, roster_row, {swap.from_account_id, swap.to_account_id}
        )
    swap.status = SwapStatus.APPROVED if approve else SwapStatus.REFUSED
    swap.decided_by, swap.decided_at, swap.reason = actor_id, utc_now(), reason
    session.add(swap)
    await session.flush()
    for party in (swap.from_account_id, swap.to_account_id):
        await notice_service.notify(
            session, account_id=party, organisation_id=swap.organisation_id, kind="swap_answered"
        )
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.swap_approved" if approve else "peerwork.swap_refused",
        subject=f"shift_swap:{swap.id}",
        details={"from": str(swap.from_account_id), "to": str(swap.to_account_id)},
    )
    return swap


async def list_swaps(
    session: AsyncSession, *, account_id: uuid.UUID, grants: Grants
) -> list[ShiftSwap]:
    """Swaps she is part of, and those waiting in organisations she schedules for."""
    statement = select(ShiftSwap).order_by(col(ShiftSwap.created_at).desc()).limit(500)
    return [
        s
        for s in (await session.exec(statement)).all()
        if account_id in (s.from_account_id, s.to_account_id)
        or grants.can(Capability.PEERWORK_SCHEDULE, s.organisation_id)
    ]
