"""Who is calling, and what she may do. Every route names the capability it needs."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from backend.auth import service as auth_service
from backend.auth.actor import Actor as Actor  # routes name it beside the aliases below
from backend.auth.actor import actor_for_token
from backend.auth.capabilities import PRIVILEGED_CAPABILITIES, Capability
from backend.auth.lookup import SessionLookup
from backend.core import ratelimit
from backend.core.denials import PrivilegedActionDenied
from backend.core.dependencies import database_of
from backend.core.errors import Forbidden, Unauthenticated
from backend.core.middleware import route_template
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
    actor = await actor_for_token(lookup, services.settings, token)
    if actor is None:
        raise Unauthenticated("Your session has ended. Please sign in again.", code="session_ended")
    if auth_service.needs_touch(actor.session, utc_now()):
        async with database_of(request).session(write=True) as touch:
            await auth_service.touch_session(touch, actor.session.id)
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require(capability: Capability) -> Callable[..., Coroutine[Any, Any, Actor]]:
    async def check(request: Request, actor: CurrentActor) -> Actor:
        if actor.can(capability):
            return actor
        if capability in PRIVILEGED_CAPABILITIES:
            # Recorded by the error handler once the request's transaction is over.
            raise PrivilegedActionDenied(
                "You do not have permission to do this.",
                actor_id=actor.account.id,
                attempted=capability,
                where=f"{request.method} {route_template(request.scope)}",
                code="missing_capability",
            )
        raise Forbidden("You do not have permission to do this.", code="missing_capability")

    check.__name__ = f"require_{capability.replace(':', '_')}"
    return check


def per_account(name: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """A route dependency counting one ``name`` for the signed-in account
    (core/ratelimit.py): ``dependencies=[Depends(per_account("reports"))]``."""

    async def limit(request: Request, actor: CurrentActor) -> None:
        await ratelimit.hit(request, name, str(actor.account.id))

    limit.__name__ = f"limit_{name}_per_account"
    return limit


SelfActor = Annotated[Actor, Depends(require(Capability.ACCOUNT_SELF))]
RoleManager = Annotated[Actor, Depends(require(Capability.ROLES_MANAGE))]
