"""Trainings an organisation requires, when each peer worker did them, and expiries."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import InvalidInput
from backend.core.time import utc_now
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import rules
from backend.peerwork.models import PeerWorker, Training, TrainingRecord, WorkerStatus


async def create_training(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    name: str,
    validity_days: int,
) -> Training:
    training = Training(organisation_id=organisation_id, name=name, validity_days=validity_days)
    session.add(training)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.training_created",
        subject=f"training:{training.id}",
        details={"name": name, "validity_days": validity_days},
    )
    return training


async def list_trainings(session: AsyncSession, organisation_id: uuid.UUID) -> list[Training]:
    statement = select(Training).where(Training.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(Training.name)))).all())


async def training_of(
    session: AsyncSession, organisation_id: uuid.UUID, training_id: uuid.UUID
) -> Training:
    training = await session.get(Training, training_id)
    if training is None or training.organisation_id != organisation_id:
        raise InvalidInput("Unknown training.", fields={"training_id": "Unknown."})
    return training


async def record_training(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    worker: PeerWorker,
    training_id: uuid.UUID,
    completed_on: date,
) -> TrainingRecord:
    onboarding_service.require_active(worker)
    training = await training_of(session, worker.organisation_id, training_id)
    if completed_on > utc_now().date():
        raise InvalidInput("A training is recorded once done.", fields={"completed_on": "Future."})
    record = TrainingRecord(
        organisation_id=worker.organisation_id,
        worker_id=worker.id,
        training_id=training.id,
        completed_on=completed_on,
        expires_on=rules.expires_on(completed_on, training.validity_days),
        recorded_by=actor_id,
        recorded_at=utc_now(),
    )
    session.add(record)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.training_recorded",
        subject=f"peer_worker:{worker.id}",
        details={"training": str(training.id), "completed_on": completed_on.isoformat()},
    )
    return record


async def training_records(
    session: AsyncSession, *, organisation_id: uuid.UUID, worker_ids: Sequence[uuid.UUID] | None
) -> list[TrainingRecord]:
    statement = select(TrainingRecord).where(TrainingRecord.organisation_id == organisation_id)
    if worker_ids is not None:
        statement = statement.where(col(TrainingRecord.worker_id).in_(worker_ids))
    return list((await session.exec(statement.order_by(col(TrainingRecord.expires_on)))).all())


@dataclass(frozen=True)
class ExpiryWarning:
    worker: PeerWorker
    training: Training
    expires_on: date


async def training_expiries(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    *,
    within_days: int,
    account_id: uuid.UUID | None = None,
) -> list[ExpiryWarning]:
    """Trainings whose latest completion runs out within the coming days."""
    today = utc_now().date()
    workers = {w.id: w for w in await onboarding_service.list_workers(session, organisation_id)}
    if account_id is not None:
        workers = {k: w for k, w in workers.items() if w.account_id == account_id}
    trainings = {t.id: t for t in await list_trainings(session, organisation_id)}
    latest: dict[tuple[uuid.UUID, uuid.UUID], date] = {}
    for record in await training_records(
        session, organisation_id=organisation_id, worker_ids=list(workers)
    ):
        key = (record.worker_id, record.training_id)
        latest[key] = max(latest.get(key, record.expires_on), record.expires_on)
    return [
        ExpiryWarning(workers[w], trainings[t], expiry)
        for (w, t), expiry in sorted(latest.items(), key=lambda item: item[1])
        if workers[w].status == WorkerStatus.ACTIVE
        and rules.expires_soon(expiry, today, within_days)
    ]
