import uuid

from fastapi import APIRouter, status

from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.organisation import service as organisation_service
from backend.organisation.dependencies import OrganisationManager, OrganisationReader
from backend.organisation.models import Organisation
from backend.organisation.schemas import (
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
)

router = APIRouter(prefix="/organisations", tags=["organisations"], route_class=StrictJSONRoute)


def _public(organisation: Organisation) -> OrganisationPublic:
    return OrganisationPublic(
        id=organisation.id,
        name=organisation.name,
        kind=organisation.kind,
        created_at=organisation.created_at,
        archived=organisation.archived_at is not None,
    )


@router.get("", response_model=list[OrganisationPublic])
async def list_organisations(
    _actor: OrganisationReader, session: DbSession, include_archived: bool = False
) -> list[OrganisationPublic]:
    organisations = await organisation_service.list_organisations(
        session, include_archived=include_archived
    )
    return [_public(o) for o in organisations]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganisationPublic)
async def create_organisation(
    body: OrganisationCreate, actor: OrganisationManager, session: DbSession
) -> OrganisationPublic:
    organisation = await organisation_service.create_organisation(
        session, actor_id=actor.account.id, name=body.name, kind=body.kind
    )
    return _public(organisation)


@router.patch("/{organisation_id}", response_model=OrganisationPublic)
async def update_organisation(
    organisation_id: uuid.UUID,
    body: OrganisationUpdate,
    actor: OrganisationManager,
    session: DbSession,
) -> OrganisationPublic:
    organisation = await organisation_service.update_organisation(
        session,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        name=body.name,
        kind=body.kind,
        archived=body.archived,
    )
    return _public(organisation)
