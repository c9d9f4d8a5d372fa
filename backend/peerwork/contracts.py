"""Grants and projects, and the contracts charged to them. Pay terms never change once made."""

import uuid
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import Conflict, InvalidInput
from backend.core.time import utc_now
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork.models import Contract, ContractKind, Funding, FundingKind, PeerWorker


async def create_funding(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    kind: FundingKind,
    name: str,
    funder: str,
    budget_minor: int,
    currency: str,
    starts_on: date,
    ends_on: date,
) -> Funding:
    if ends_on < starts_on:
        raise InvalidInput("The period ends before it starts.", fields={"ends_on": "Too early."})
    funding = Funding(
        organisation_id=organisation_id,
        kind=kind,
        name=name,
        funder=funder,
        budget_minor=budget_minor,
        currency=currency,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=utc_now(),
    )
    session.add(funding)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.funding_created",
        subject=f"funding:{funding.id}",
        details={
            "organisation": str(organisation_id),
            "name": name,
            "budget_minor": budget_minor,
            "currency": currency,
        },
    )
    return funding


async def list_fundings(session: AsyncSession, organisation_id: uuid.UUID) -> list[Funding]:
    statement = select(Funding).where(Funding.organisation_id == organisation_id)
    return list((await session.exec(statement.order_by(col(Funding.name)))).all())


async def _funding_of(
    session: AsyncSession, organisation_id: uuid.UUID, funding_id: uuid.UUID
) -> Funding:
    funding = await session.get(Funding, funding_id)
    if funding is None or funding.organisation_id != organisation_id:
        raise InvalidInput("Unknown grant or project.", fields={"funding_id": "Unknown."})
    return funding


async def contracts_of(session: AsyncSession, worker_id: uuid.UUID) -> list[Contract]:
    statement = select(Contract).where(Contract.worker_id == worker_id)
    return list((await session.exec(statement.order_by(col(Contract.starts_on)))).all())


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


async def create_contract(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    worker: PeerWorker,
    kind: ContractKind,
    starts_on: date,
    ends_on: date | None,
    rate_minor: int,
    currency: str,
    weekly_cap_minutes: int,
    funding_id: uuid.UUID,
) -> Contract:
    onboarding_service.require_active(worker)
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The contract ends before it starts.", fields={"ends_on": "Too early."})
    funding = await _funding_of(session, worker.organisation_id, funding_id)
    if funding.currency != currency:
        raise InvalidInput(
            "The contract's currency must be the grant's.",
            fields={"currency": f"The grant is in {funding.currency}."},
        )
    for other in await contracts_of(session, worker.id):
        if _overlaps(starts_on, ends_on, other.starts_on, other.ends_on):
            raise Conflict(
                "She already has a contract for part of this period; end it first.",
                fields={"starts_on": "Overlaps another contract."},
            )
    contract = Contract(
        organisation_id=worker.organisation_id,
        worker_id=worker.id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        rate_minor=rate_minor,
        currency=currency,
        weekly_cap_minutes=weekly_cap_minutes,
        funding_id=funding_id,
        created_by=actor_id,
        created_at=utc_now(),
    )
    session.add(contract)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.contract_created",
        subject=f"contract:{contract.id}",
        details={
            "worker": str(worker.id),
            "kind": kind,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
            "rate_minor": rate_minor,
            "currency": currency,
            "weekly_cap_minutes": weekly_cap_minutes,
            "funding": str(funding_id),
        },
    )
    return contract


async def end_contract(
    session: AsyncSession, *, actor_id: uuid.UUID, contract: Contract, ends_on: date
) -> Contract:
    """Set or bring forward a contract's last day. Its pay terms never change once made."""
    if ends_on < contract.starts_on:
        raise InvalidInput("That is before the contract starts.", fields={"ends_on": "Too early."})
    previous = contract.ends_on
    contract.ends_on = ends_on
    session.add(contract)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.contract_ended",
        subject=f"contract:{contract.id}",
        details={"from": previous.isoformat() if previous else None, "to": ends_on.isoformat()},
    )
    return contract
