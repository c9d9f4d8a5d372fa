"""Who is calling, and what she may do. Every route names the capability it needs."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Grants
from backend.auth.lookup import HeldRole, LiveSession, SessionLookup, SignedInAccount
from backend.core.dependencies import database_of
from backend.core.errors import Forbidden, Unauthenticated
from backend.core.time import utc_now

SESSION_COOKIE = "tandem_session"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def set_session_cookie(
    request: Request, response: Response, issued: auth_service.IssuedSession
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=request.url.hostname not in _LOCAL_HOSTS,
        path="/",
        expires=issued.session.expires_at,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


@dataclass(frozen=True)
class Actor:
    """Who is calling: plain values read at authentication, not rows to change."""

    account: SignedInAccount
    session: LiveSession
    grants: Grants
    role_grants: list[HeldRole]

    def can(self, capability: Capability) -> bool:
        return self.grants.can(capability)


async def get_auth_services(request: Request) -> auth_service.AuthServices:
    services: auth_service.AuthServices = request.app.state.auth
    return services


AuthServicesDep = Annotated[auth_service.AuthServices, Depends(get_auth_services)]


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


async def get_actor(request: Request, services: AuthServicesDep) -> Actor:
    """Checked on every request: one read outside the request's transaction.

    Keeping it outside matters twice: a route that needs no database costs no transaction,
    and the rare write that refreshes last-seen time never waits on the request's own
    write lock (SQLite), because the request has not begun its transaction yet.
    """
    token = _token_from(request)
    if token is None:
        raise Unauthenticated("Please sign in.")
    lookup: SessionLookup = request.app.state.session_lookup
    found = await auth_service.resolve_session(lookup, services.settings, token)
    if found is None:
        raise Unauthenticated("Your session has ended. Please sign in again.", code="session_ended")
    if auth_service.needs_touch(found.session, utc_now()):
        async with database_of(request).session(write=True) as touch:
            await auth_service.touch_session(touch, found.session.id)
    return Actor(
        account=found.account,
        session=found.session,
        grants=auth_service.grants_of(
            found.roles, found.account.restrictions, duress=found.session.duress
        ),
        role_grants=found.roles,
    )


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require(capability: Capability) -> Callable[..., Coroutine[Any, Any, Actor]]:
    async def check(actor: CurrentActor) -> Actor:
        if not actor.can(capability):
            raise Forbidden("You do not have permission to do this.", code="missing_capability")
        return actor

    check.__name__ = f"require_{capability.value.replace(':', '_')}"
    return check


SelfActor = Annotated[Actor, Depends(require(Capability.ACCOUNT_SELF))]
RoleManager = Annotated[Actor, Depends(require(Capability.ROLES_MANAGE))]
