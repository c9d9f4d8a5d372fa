"""Read models shared by the API and the pages: names, teams, her shifts, roster reports."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability, Grants, Role
from backend.core.time import utc_now
from backend.identity import service as identity_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    Debrief,
    PeerWorker,
    Roster,
    RosterStatus,
    Shift,
    ShiftType,
    Timesheet,
    WorkerStatus,
)


async def names_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    return await identity_service.pseudonyms_of(session, ids)


def display_name(worker: PeerWorker, pseudonym: str) -> str:
    return worker.shared_name or pseudonym


async def list_professionals(
    session: AsyncSession, organisation_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    ids = await onboarding_service.staff_of(session, organisation_id, Role.PROFESSIONAL)
    names = await names_of(session, set(ids))
    return [(i, names.get(i, "erased member")) for i in ids]


async def team_of(session: AsyncSession, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Colleagues a worker may ask for a swap: active peer workers, by the name they share."""
    workers = [
        w
        for w in await onboarding_service.list_workers(session, organisation_id)
        if w.status == WorkerStatus.ACTIVE
    ]
    names = await names_of(session, {w.account_id for w in workers})
    return [(w.account_id, display_name(w, names.get(w.account_id, ""))) for w in workers]


@dataclass(frozen=True)
class MyShift:
    assignment: Assignment
    shift: Shift
    shift_type: ShiftType
    partner: str | None
    debrief_due: bool
    timesheet_status: str | None


async def my_shifts(
    session: AsyncSession, account_id: uuid.UUID, *, since: datetime | None = None
) -> list[MyShift]:
    """Her shifts on published rosters, in every organisation she works for."""
    statement = (
        select(Assignment, Shift, ShiftType, Roster)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .join(ShiftType, col(ShiftType.id) == col(Shift.shift_type_id))
        .join(Roster, col(Roster.id) == col(Assignment.roster_id))
        .where(Assignment.account_id == account_id)
        .where(Roster.status == RosterStatus.PUBLISHED)
        .order_by(col(Shift.starts_at))
    )
    if since is not None:
        statement = statement.where(col(Shift.ends_at) >= since)
    rows = list((await session.exec(statement)).all())
    ids = [a.id for a, _, _, _ in rows]
    debriefed = set(
        (
            await session.exec(
                select(Debrief.assignment_id).where(col(Debrief.assignment_id).in_(ids))
            )
        ).all()
    )
    sheets = {
        t.assignment_id: t.status
        for t in (
            await session.exec(select(Timesheet).where(col(Timesheet.assignment_id).in_(ids)))
        ).all()
    }
    partners = await names_of(session, {a.partner_id for a, _, _, _ in rows if a.partner_id})
    now = utc_now()
    return [
        MyShift(
            assignment=a,
            shift=s,
            shift_type=t,
            partner=partners.get(a.partner_id) if a.partner_id else None,
            debrief_due=(
                a.role == AssignmentRole.PEER
                and t.needs_debrief
                and s.ends_at <= now
                and a.id not in debriefed
            ),
            timesheet_status=sheets.get(a.id),
        )
        for a, s, t, _ in rows
    ]


async def visible_shifts(
    session: AsyncSession, account_id: uuid.UUID, grants: Grants, *, since: datetime | None = None
) -> list[MyShift]:
    """Her shifts as the API and the pages show them: only where she still works or pairs."""
    return [
        m
        for m in await my_shifts(session, account_id, since=since)
        if grants.can(Capability.PEERWORK_WORK, m.assignment.organisation_id)
        or grants.can(Capability.PEERWORK_PAIR, m.assignment.organisation_id)
    ]


def roster_report(roster_row: Roster) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(roster_row.report)
    return report
