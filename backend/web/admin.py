"""The admin's organisations and role grants, as pages: the API's services behind the
API's own capability dependencies (organisations:manage, roles:manage)."""

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth import service as auth_service
from backend.auth.capabilities import ORGANISATION_ROLES, Role
from backend.auth.dependencies import Actor, RoleManager
from backend.auth.models import Account
from backend.auth.schemas import RoleGrantIn
from backend.core.dependencies import DbSession
from backend.core.errors import NotFound, TandemError
from backend.organisation import service as organisation_service
from backend.organisation.dependencies import OrganisationManager
from backend.organisation.models import OrganisationKind
from backend.organisation.schemas import OrganisationCreate
from backend.web.dependencies import FormData
from backend.web.forms import validated
from backend.web.render import N_, page, see_other

router = APIRouter(include_in_schema=False)

ORGANISATION_KINDS = {
    OrganisationKind.REFERRING_CHARITY.value: N_("Refers people to the community"),
    OrganisationKind.EMPLOYER.value: N_("Employs peer workers"),
    OrganisationKind.BOTH.value: N_("Both"),
}
ROLE_WORDS = {
    Role.MEMBER.value: N_("Member"),
    Role.ACTIVE_MEMBER.value: N_("Active member"),
    Role.MENTOR.value: N_("Mentor"),
    Role.FACILITATOR.value: N_("Facilitator"),
    Role.PEER_WORKER.value: N_("Peer worker"),
    Role.COORDINATOR.value: N_("Coordinator"),
    Role.PROFESSIONAL.value: N_("Professional"),
    Role.PAYROLL.value: N_("Payroll"),
    Role.SAFEGUARDING.value: N_("Safeguarding officer"),
    Role.ROOTS_COORDINATOR.value: N_("Roots coordinator"),
    Role.ADMIN.value: N_("Admin"),
}


async def _organisations_page(
    request: Request, actor: Actor, session: DbSession, **extra: Any
) -> Response:
    return page(
        request,
        "organisations.html",
        actor=actor,
        title=N_("Organisations"),
        organisations=await organisation_service.list_organisations(session, include_archived=True),
        kinds=ORGANISATION_KINDS,
        **extra,
    )


@router.get("/admin/organisations", response_class=HTMLResponse)
async def organisations(
    request: Request, actor: OrganisationManager, session: DbSession
) -> Response:
    return await _organisations_page(request, actor, session)


@router.post("/admin/organisations")
async def create_organisation(
    request: Request, actor: OrganisationManager, session: DbSession, form: FormData
) -> Response:
    try:
        body = validated(OrganisationCreate, name=form.get("name"), kind=form.get("kind") or None)
        await organisation_service.create_organisation(
            session, actor_id=actor.account.id, name=body.name, kind=body.kind
        )
    except TandemError as exc:
        await session.rollback()
        return await _organisations_page(
            request,
            actor,
            session,
            status_code=exc.status_code,
            error=exc.message,
            fields=exc.fields,
            values=dict(form.pairs),
        )
    return see_other("/admin/organisations?saved=1")


async def _pseudonym(session: DbSession, account_id: uuid.UUID) -> str:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return account.pseudonym


async def _roles_page(
    request: Request, actor: Actor, session: DbSession, pseudonym: str, **extra: Any
) -> Response:
    account = None
    grants: list[Any] = []
    if pseudonym:
        account = await auth_service.get_account_by_pseudonym(session, pseudonym)
        if account is not None:
            grants = await auth_service.list_role_grants(session, account.id)
    orgs = await organisation_service.list_organisations(session)
    return page(
        request,
        "roles.html",
        actor=actor,
        title=N_("Roles"),
        pseudonym=pseudonym,
        account=account,
        grants=grants,
        organisations=orgs,
        org_names={o.id: o.name for o in orgs},
        roles=ROLE_WORDS,
        organisation_roles=sorted(r.value for r in ORGANISATION_ROLES),
        **extra,
    )


@router.get("/admin/roles", response_class=HTMLResponse)
async def roles(
    request: Request, actor: RoleManager, session: DbSession, pseudonym: str = ""
) -> Response:
    """Find a person by pseudonym, then her roles: grant one, or take one back."""
    return await _roles_page(request, actor, session, pseudonym.strip())


@router.post("/admin/roles/{account_id}")
async def grant_role(
    request: Request, account_id: uuid.UUID, actor: RoleManager, session: DbSession, form: FormData
) -> Response:
    pseudonym = await _pseudonym(session, account_id)
    try:
        body = validated(
            RoleGrantIn,
            role=form.get("role") or None,
            organisation_id=form.get("organisation_id") or None,
        )
        await auth_service.grant_role(
            session,
            actor_id=actor.account.id,
            account_id=account_id,
            role=body.role,
            organisation_id=body.organisation_id,
        )
    except TandemError as exc:
        await session.rollback()
        return await _roles_page(
            request,
            actor,
            session,
            pseudonym,
            status_code=exc.status_code,
            error=exc.message,
            fields=exc.fields,
        )
    return see_other(
        f"/admin/roles?pseudonym={quote(await _pseudonym(session, account_id))}&saved=1"
    )


@router.post("/admin/roles/{account_id}/{grant_id}/revoke")
async def revoke_role(
    account_id: uuid.UUID,
    grant_id: uuid.UUID,
    actor: RoleManager,
    session: DbSession,
    _form: FormData,
) -> Response:
    await auth_service.revoke_role(
        session, actor_id=actor.account.id, account_id=account_id, grant_id=grant_id
    )
    return see_other(
        f"/admin/roles?pseudonym={quote(await _pseudonym(session, account_id))}&saved=1"
    )
