import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.organisation.models import Organisation, OrganisationKind


def _name_key(name: str) -> str:
    return name.casefold()


async def list_organisations(
    session: AsyncSession, *, include_archived: bool = False
) -> list[Organisation]:
    statement = select(Organisation).order_by(col(Organisation.name))
    if not include_archived:
        statement = statement.where(col(Organisation.archived_at).is_(None))
    return list((await session.exec(statement)).all())


async def get_organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation


async def _ensure_name_free(
    session: AsyncSession, name: str, except_id: uuid.UUID | None = None
) -> None:
    statement = select(Organisation).where(Organisation.name_key == _name_key(name))
    found = (await session.exec(statement)).first()
    if found is not None and found.id != except_id:
        raise Conflict(
            "An organisation with this name exists already.",
            fields={"name": "This name is taken."},
        )


async def create_organisation(
    session: AsyncSession, *, actor_id: uuid.UUID, name: str, kind: OrganisationKind
) -> Organisation:
    await _ensure_name_free(session, name)
    organisation = Organisation(
        name=name, name_key=_name_key(name), kind=kind, created_at=utc_now()
    )
    session.add(organisation)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("An organisation with this name exists already.") from exc
    await audit.record(
        session,
        actor_id=actor_id,
        action="organisation.created",
        subject=f"organisation:{organisation.id}",
        details={"name": name, "kind": kind},
    )
    return organisation


async def update_organisation(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    organisation_id: uuid.UUID,
    name: str | None,
    kind: OrganisationKind | None,
    archived: bool | None,
) -> Organisation:
    organisation = await get_organisation(session, organisation_id)
    changes: dict[str, str | bool] = {}
    if name is not None and name != organisation.name:
        await _ensure_name_free(session, name, except_id=organisation.id)
        organisation.name, organisation.name_key = name, _name_key(name)
        changes["name"] = name
    if kind is not None and kind != organisation.kind:
        organisation.kind = kind
        changes["kind"] = kind
    if archived is not None and archived != (organisation.archived_at is not None):
        organisation.archived_at = utc_now() if archived else None
        changes["archived"] = archived
    if changes:
        session.add(organisation)
        await session.flush()
        await audit.record(
            session,
            actor_id=actor_id,
            action="organisation.updated",
            subject=f"organisation:{organisation.id}",
            details=changes,
        )
    return organisation
