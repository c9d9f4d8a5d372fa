"""Shift types and the shifts a coordinator plans."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import InvalidInput
from backend.core.time import utc_now
from backend.peerwork import rules, work_settings
from backend.peerwork import trainings as training_service
from backend.peerwork.models import Shift, ShiftKind, ShiftType, ShiftTypeTraining


async def create_shift_type(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    name: str,
    kind: ShiftKind,
    needs_pairing: bool | None,
    needs_debrief: bool | None,
    zone: str | None,
    required_training_ids: Sequence[uuid.UUID],
    night_start_minute: int,
    night_end_minute: int,
    night_premium_percent: int,
) -> ShiftType:
    for training_id in required_training_ids:
        await training_service.training_of(session, organisation_id, training_id)
    shift_type = ShiftType(
        organisation_id=organisation_id,
        name=name,
        kind=kind,
        # Outreach pairs every peer with a professional unless the coordinator says otherwise.
        needs_pairing=needs_pairing if needs_pairing is not None else kind == ShiftKind.OUTREACH,
        needs_debrief=(
            needs_debrief
            if needs_debrief is not None
            else kind in (ShiftKind.OUTREACH, ShiftKind.HELPLINE)
        ),
        zone=zone,
        night_start_minute=night_start_minute,
        night_end_minute=night_end_minute,
        night_premium_percent=night_premium_percent,
    )
    session.add(shift_type)
    await session.flush()
    for training_id in set(required_training_ids):
        session.add(ShiftTypeTraining(shift_type_id=shift_type.id, training_id=training_id))
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.shift_type_created",
        subject=f"shift_type:{shift_type.id}",
        details={
            "name": name,
            "needs_pairing": shift_type.needs_pairing,
            "night_premium_percent": night_premium_percent,
            "trainings": sorted(str(t) for t in set(required_training_ids)),
        },
    )
    return shift_type


async def list_shift_types(session: AsyncSession, organisation_id: uuid.UUID) -> list[ShiftType]:
    statement = select(ShiftType).where(ShiftType.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(ShiftType.name)))).all())


async def required_trainings(
    session: AsyncSession, shift_type_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    statement = select(ShiftTypeTraining).where(
        col(ShiftTypeTraining.shift_type_id).in_(shift_type_ids)
    )
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in (await session.exec(statement)).all():
        found[row.shift_type_id].add(row.training_id)
    return found


@dataclass(frozen=True)
class ShiftIn:
    shift_type_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    zone: str | None
    place: str
    peers_needed: int
    professionals_needed: int | None


async def create_shifts(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    shifts: Sequence[ShiftIn],
) -> list[Shift]:
    types = {t.id: t for t in await list_shift_types(session, organisation_id)}
    created: list[Shift] = []
    for i, item in enumerate(shifts):
        shift_type = types.get(item.shift_type_id)
        if shift_type is None:
            raise InvalidInput(
                "Unknown shift type.", fields={f"shifts.{i}.shift_type_id": "Unknown."}
            )
        if not timedelta(minutes=15) <= item.ends_at - item.starts_at <= rules.TIMESHEET_MAX:
            raise InvalidInput(
                "A shift lasts between 15 minutes and 16 hours.",
                fields={f"shifts.{i}.ends_at": "Invalid length."},
            )
        zone = item.zone or shift_type.zone
        if not zone:
            raise InvalidInput("Say which zone.", fields={f"shifts.{i}.zone": "Required."})
        professionals = item.professionals_needed
        if professionals is None:
            professionals = item.peers_needed if shift_type.needs_pairing else 0
        if shift_type.needs_pairing and professionals < item.peers_needed:
            raise InvalidInput(
                "Each peer on this kind of shift is paired with a professional.",
                fields={f"shifts.{i}.professionals_needed": "At least one per peer."},
            )
        shift = Shift(
            organisation_id=organisation_id,
            shift_type_id=shift_type.id,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            zone=zone,
            place=item.place,
            peers_needed=item.peers_needed,
            professionals_needed=professionals,
            created_at=utc_now(),
        )
        session.add(shift)
        created.append(shift)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.shifts_created",
        subject=f"organisation:{organisation_id}",
        details={"count": len(created)},
    )
    return created


async def list_shifts(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[Shift]:
    start, end = await work_settings.period_bounds(session, organisation_id, starts_on, ends_on)
    statement = (
        select(Shift)
        .where(Shift.organisation_id == organisation_id)
        .where(col(Shift.starts_at) >= start)
        .where(col(Shift.starts_at) < end)
        .order_by(col(Shift.starts_at))
    )
    return list((await session.exec(statement)).all())
