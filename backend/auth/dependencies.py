"""Who is calling, and what she may do. Every route names the capability it needs."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Grants
from backend.auth.models import Account, AuthSession, RoleGrant
from backend.core.dependencies import READ_METHODS, DbSession, get_database
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
    account: Account
    session: AuthSession
    grants: Grants
    role_grants: list[RoleGrant]

    def can(self, capability: Capability) -> bool:
        return self.grants.can(capability)


def get_auth_services(request: Request) -> auth_service.AuthServices:
    services: auth_service.AuthServices = request.app.state.auth
    return services


AuthServicesDep = Annotated[auth_service.AuthServices, Depends(get_auth_services)]


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


async def get_actor(request: Request, session: DbSession, services: AuthServicesDep) -> Actor:
    token = _token_from(request)
    if token is None:
        raise Unauthenticated("Please sign in.")
    resolved = await auth_service.resolve_session(session, services.settings, token)
    if resolved is None:
        raise Unauthenticated("Your session has ended. Please sign in again.", code="session_ended")
    account, auth_session = resolved.account, resolved.session
    if auth_service.needs_touch(auth_session, utc_now()):
        if request.method in READ_METHODS:
            # Its own short write: a read request keeps a read-only transaction.
            async with get_database(request).session(write=True) as touch:
                await auth_service.touch_session(touch, auth_session.id)
        else:
            # A writing request already holds the write lock (SQLite): a second writer
            # would wait on it forever.
            await auth_service.touch_session(session, auth_session.id)
    return Actor(
        account=account,
        session=auth_session,
        grants=auth_service.grants_of(resolved.role_grants),
        role_grants=resolved.role_grants,
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
