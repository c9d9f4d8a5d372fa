import uuid

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from backend.auth.dependencies import AuthServicesDep, set_session_cookie
from backend.core.dependencies import AppSettings, DbSession, database_of
from backend.core.jsonbody import StrictJSONRoute
from backend.organisation.dependencies import OrganisationManager
from backend.sso import service as sso_service
from backend.sso.models import OrganisationSso
from backend.sso.schemas import SsoConfigure, SsoPublic

router = APIRouter(tags=["staff sign-in"], route_class=StrictJSONRoute)

# Holds the browser's half of a sign-in attempt between the login and the callback. Lax,
# because the callback is a top-level navigation coming back from the provider's site.
ATTEMPT_COOKIE = "tandem_sso_attempt"
_ATTEMPT_PATH = "/api/sso"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Where a browser lands once signed in.
AFTER_SIGN_IN = "/"


def _public(configuration: OrganisationSso, has_secret: bool) -> SsoPublic:
    return SsoPublic(
        organisation_id=configuration.organisation_id,
        issuer=configuration.issuer,
        client_id=configuration.client_id,
        has_client_secret=has_secret,
        allowed_domain=configuration.allowed_domain,
        roles=sso_service.roles_of(configuration),
        configured_at=configuration.configured_at,
    )


@router.get("/organisations/{organisation_id}/sso", response_model=SsoPublic)
async def get_sso(
    organisation_id: uuid.UUID,
    _actor: OrganisationManager,
    session: DbSession,
    settings: AppSettings,
) -> SsoPublic:
    configuration = await sso_service.get_configuration(session, organisation_id)
    secret = await sso_service.read_client_secret(settings, organisation_id)
    return _public(configuration, secret is not None)


@router.put("/organisations/{organisation_id}/sso", response_model=SsoPublic)
async def configure_sso(
    organisation_id: uuid.UUID,
    body: SsoConfigure,
    actor: OrganisationManager,
    request: Request,
    settings: AppSettings,
) -> SsoPublic:
    """Set the organisation's OpenID Connect provider. The secret is never shown again.

    No request session: the service asks the provider (a network call) between its own
    short read and write."""
    configuration = await sso_service.configure(
        database_of(request),
        settings,
        actor_id=actor.account.id,
        organisation_id=organisation_id,
        issuer=body.issuer,
        client_id=body.client_id,
        client_secret=body.client_secret,
        allowed_domain=body.allowed_domain,
        roles=body.roles,
    )
    return _public(configuration, True)


@router.delete("/organisations/{organisation_id}/sso", status_code=status.HTTP_204_NO_CONTENT)
async def remove_sso(
    organisation_id: uuid.UUID,
    actor: OrganisationManager,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    await sso_service.remove_configuration(
        session, settings, actor_id=actor.account.id, organisation_id=organisation_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sso/{organisation_id}/login", response_class=RedirectResponse)
async def sso_login(
    organisation_id: uuid.UUID, request: Request, settings: AppSettings
) -> RedirectResponse:
    """Send a member of the organisation's staff to its identity provider."""
    redirect_uri = str(request.url_for("sso_callback", organisation_id=str(organisation_id)))
    start = await sso_service.begin_login(
        database_of(request), settings, organisation_id=organisation_id, redirect_uri=redirect_uri
    )
    response = RedirectResponse(start.url, status_code=status.HTTP_302_FOUND)
    response.set_cookie(
        ATTEMPT_COOKIE,
        start.browser_token,
        max_age=int(sso_service.LOGIN_ATTEMPT_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.hostname not in _LOCAL_HOSTS,
        path=_ATTEMPT_PATH,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/sso/{organisation_id}/callback", name="sso_callback", response_class=RedirectResponse)
async def sso_callback(
    organisation_id: uuid.UUID,
    request: Request,
    settings: AppSettings,
    services: AuthServicesDep,
    state: str | None = None,
    code: str | None = None,
    iss: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """The provider sends the browser back here; on success she has a Tandem session."""
    issued = await sso_service.complete_login(
        database_of(request),
        settings,
        services,
        organisation_id=organisation_id,
        state=state,
        code=code,
        iss=iss,
        provider_error=error,
        browser_token=request.cookies.get(ATTEMPT_COOKIE),
    )
    response = RedirectResponse(AFTER_SIGN_IN, status_code=status.HTTP_302_FOUND)
    set_session_cookie(request, response, issued)
    response.delete_cookie(ATTEMPT_COOKIE, path=_ATTEMPT_PATH, httponly=True, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response
