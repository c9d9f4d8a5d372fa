"""Debriefs after a shift: between her and her supervisor."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Role
from backend.core import audit
from backend.core.errors import Conflict
from backend.core.time import utc_now
from backend.peerwork import notices as notice_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import rules
from backend.peerwork.access import active_worker_of
from backend.peerwork.models import Assignment, AssignmentRole, Debrief, Shift, ShiftType


async def submit_debrief(
    session: AsyncSession,
    *,
    assignment: Assignment,
    wellbeing: int,
    incident: bool,
    incident_note: str | None,
    wants_to_talk: bool,
) -> Debrief:
    """Her debrief after an outreach or helpline shift. A concerning answer reaches her
    supervisor (a neutral notice); the content stays between the two of them."""
    shift = await session.get(Shift, assignment.shift_id)
    shift_type = await session.get(ShiftType, shift.shift_type_id) if shift else None
    if (
        shift is None
        or shift_type is None
        or assignment.role != AssignmentRole.PEER
        or not shift_type.needs_debrief
    ):
        raise Conflict("This shift has no debrief.")
    if utc_now() < shift.starts_at:
        raise Conflict("A debrief comes after the shift.")
    worker = await active_worker_of(session, assignment.organisation_id, assignment.account_id)
    supervisor = worker.supervisor_id if worker else None
    concerning = rules.is_concerning(
        wellbeing=wellbeing, incident=incident, wants_to_talk=wants_to_talk
    )
    debrief = Debrief(
        organisation_id=assignment.organisation_id,
        assignment_id=assignment.id,
        account_id=assignment.account_id,
        supervisor_id=supervisor,
        wellbeing=wellbeing,
        incident=incident,
        incident_note=incident_note if incident else None,
        wants_to_talk=wants_to_talk,
        concerning=concerning,
        submitted_at=utc_now(),
    )
    session.add(debrief)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("You sent this debrief already.") from exc
    if concerning and supervisor is not None:
        await notice_service.notify(
            session,
            account_id=supervisor,
            organisation_id=debrief.organisation_id,
            kind="talk_requested",
            subject=f"debrief:{debrief.id}",
        )
    elif concerning:
        for coordinator in await onboarding_service.staff_of(
            session, debrief.organisation_id, Role.COORDINATOR
        ):
            await notice_service.notify(
                session,
                account_id=coordinator,
                organisation_id=debrief.organisation_id,
                kind="no_supervisor",
            )
    # Content is never logged: only that a debrief exists and whether it asked for help.
    await audit.record(
        session,
        actor_id=assignment.account_id,
        action="peerwork.debrief_submitted",
        subject=f"debrief:{debrief.id}",
        details={"concerning": concerning},
    )
    return debrief


async def debriefs_for(session: AsyncSession, account_id: uuid.UUID) -> list[Debrief]:
    """Debriefs she wrote and those addressed to her as supervisor."""
    statement = (
        select(Debrief)
        .where((col(Debrief.account_id) == account_id) | (col(Debrief.supervisor_id) == account_id))
        .order_by(col(Debrief.submitted_at).desc())
    )
    return list((await session.exec(statement)).all())
