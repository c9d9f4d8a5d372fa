import uuid
from collections.abc import Sequence

from fastapi import APIRouter, Depends, Request, Response, status

from backend.auth import places
from backend.auth import service as auth_service
from backend.auth.capabilities import Grants
from backend.auth.dependencies import (
    AuthServicesDep,
    RoleManager,
    SelfActor,
    clear_session_cookie,
    set_session_cookie,
)
from backend.auth.lookup import HeldRole, SignedInAccount
from backend.auth.models import Account, AuthSession, PlaceKind, RoleGrant
from backend.auth.schemas import (
    AccountPublic,
    ChangePasswordIn,
    ConfirmPasswordIn,
    LoginIn,
    MePublic,
    PreferencesIn,
    RecoveredOut,
    RecoverIn,
    RecoveryCodesOut,
    RegisteredOut,
    RegisterIn,
    RoleGrantIn,
    RoleGrantPublic,
    SessionOut,
    SessionPublic,
)
from backend.core.dependencies import (
    AppSettings,
    ClientKey,
    ClientOrigin,
    DbSession,
    WriteDbSession,
)
from backend.core.errors import NotFound
from backend.core.jsonbody import StrictJSONRoute
from backend.core.ratelimit import per_client

router = APIRouter(tags=["auth"], route_class=StrictJSONRoute)


def me_from(
    account: Account | SignedInAccount,
    grants: Grants,
    role_grants: Sequence[RoleGrant | HeldRole],
    community_name: str,
) -> MePublic:
    return MePublic(
        id=account.id,
        pseudonym=account.pseudonym,
        language=account.language,
        time_zone=account.time_zone,
        created_at=account.created_at,
        roles=[RoleGrantPublic.model_validate(g) for g in role_grants],
        capabilities=sorted(grants.capabilities),
        community_name=community_name,
    )


async def me_public(
    session: DbSession, account: Account, grants: Grants, community_name: str
) -> MePublic:
    role_grants = await auth_service.list_role_grants(session, account.id)
    return me_from(account, grants, role_grants, community_name)


async def signed_up(
    request: Request,
    response: Response,
    session: DbSession,
    services: auth_service.AuthServices,
    account: Account,
    codes: list[str],
    client: str,
) -> RegisteredOut:
    """A new account's first session, and the recovery codes she sees this once."""
    issued = await auth_service.open_session(session, services, account)
    if client == "web":
        set_session_cookie(request, response, issued)
    grants = await auth_service.load_grants(session, account.id)
    return RegisteredOut(
        account=await me_public(session, account, grants, services.settings.community_name),
        expires_at=issued.session.expires_at,
        token=issued.token if client == "api" else None,
        recovery_codes=codes,
    )


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    dependencies=[Depends(per_client("registration"))],
)
async def register(
    body: RegisterIn,
    request: Request,
    response: Response,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
    origin: ClientOrigin,
) -> RegisteredOut:
    """Create an account with a pseudonym and a password. Recovery codes are shown once."""
    account, codes = await auth_service.register_account(
        session,
        services,
        pseudonym=body.pseudonym,
        password=body.password,
        language=body.language,
        client_key=client,
    )
    await places.record_place(
        session, services.secret, account_id=account.id, kind=PlaceKind.REGISTERED, origin=origin
    )
    return await signed_up(request, response, session, services, account, codes, body.client)


@router.post("/auth/login", response_model=SessionOut)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
    origin: ClientOrigin,
) -> SessionOut:
    account, issued = await auth_service.log_in(
        session, services, pseudonym=body.pseudonym, password=body.password, client_key=client
    )
    await places.record_place(
        session, services.secret, account_id=account.id, kind=PlaceKind.SIGNED_IN, origin=origin
    )
    if body.client == "web":
        set_session_cookie(request, response, issued)
    grants = await auth_service.load_grants(session, account.id)
    return SessionOut(
        account=await me_public(session, account, grants, services.settings.community_name),
        expires_at=issued.session.expires_at,
        token=issued.token if body.client == "api" else None,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(actor: SelfActor, session: DbSession, response: Response) -> Response:
    await auth_service.revoke_session(session, actor.session)
    clear_session_cookie(response)
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.post("/auth/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT)
async def logout_everywhere(actor: SelfActor, session: DbSession, response: Response) -> Response:
    """End every session of this account, on every device, this one included."""
    await auth_service.log_out_everywhere(session, actor.account.id)
    clear_session_cookie(response)
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.get("/auth/sessions", response_model=list[SessionPublic])
async def my_sessions(actor: SelfActor, session: DbSession) -> list[SessionPublic]:
    rows: list[AuthSession] = await auth_service.list_sessions(session, actor.account.id)
    return [
        SessionPublic(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            current=row.id == actor.session.id,
        )
        for row in rows
    ]


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: ChangePasswordIn,
    actor: SelfActor,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
) -> None:
    """Change the password; every other session ends."""
    await auth_service.change_password(
        session,
        services,
        account_id=actor.account.id,
        keep_session_id=actor.session.id,
        current_password=body.current_password,
        new_password=body.new_password,
        client_key=client,
    )


@router.post("/auth/recovery-codes", response_model=RecoveryCodesOut)
async def replace_recovery_codes(
    body: ConfirmPasswordIn,
    actor: SelfActor,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
) -> RecoveryCodesOut:
    codes = await auth_service.regenerate_recovery_codes(
        session, services, account_id=actor.account.id, password=body.password, client_key=client
    )
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/auth/recover", response_model=RecoveredOut)
async def recover(
    body: RecoverIn,
    request: Request,
    response: Response,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
    origin: ClientOrigin,
) -> RecoveredOut:
    """Use a recovery code to set a new password. Each code works once."""
    account, issued, remaining = await auth_service.recover_account(
        session,
        services,
        pseudonym=body.pseudonym,
        recovery_code=body.recovery_code,
        new_password=body.new_password,
        client_key=client,
    )
    await places.record_place(
        session, services.secret, account_id=account.id, kind=PlaceKind.SIGNED_IN, origin=origin
    )
    if body.client == "web":
        set_session_cookie(request, response, issued)
    grants = await auth_service.load_grants(session, account.id)
    return RecoveredOut(
        account=await me_public(session, account, grants, services.settings.community_name),
        expires_at=issued.session.expires_at,
        token=issued.token if body.client == "api" else None,
        recovery_codes_left=remaining,
    )


@router.get("/me", response_model=MePublic, tags=["accounts"])
async def me(actor: SelfActor, settings: AppSettings) -> MePublic:
    """The signed-in account: pseudonym, roles and what they allow."""
    return me_from(actor.account, actor.grants, actor.role_grants, settings.community_name)


@router.patch("/me", response_model=MePublic, tags=["accounts"])
async def update_me(
    body: PreferencesIn, actor: SelfActor, session: WriteDbSession, settings: AppSettings
) -> MePublic:
    """Change her language or time zone."""
    account = await auth_service.update_preferences(
        session, actor.account.id, language=body.language, time_zone=body.time_zone
    )
    return me_from(account, actor.grants, actor.role_grants, settings.community_name)


@router.get("/accounts/lookup", response_model=AccountPublic, tags=["accounts"])
async def lookup_account(pseudonym: str, _actor: RoleManager, session: DbSession) -> AccountPublic:
    """Find an account by pseudonym, to grant it a role."""
    account = await auth_service.get_account_by_pseudonym(session, pseudonym)
    if account is None:
        raise NotFound()
    return AccountPublic.model_validate(account)


@router.get("/accounts/{account_id}/roles", response_model=list[RoleGrantPublic], tags=["accounts"])
async def list_roles(
    account_id: uuid.UUID, _actor: RoleManager, session: DbSession
) -> list[RoleGrantPublic]:
    if await session.get(Account, account_id) is None:
        raise NotFound()
    grants = await auth_service.list_role_grants(session, account_id)
    return [RoleGrantPublic.model_validate(g) for g in grants]


@router.post(
    "/accounts/{account_id}/roles",
    status_code=status.HTTP_201_CREATED,
    response_model=RoleGrantPublic,
    tags=["accounts"],
)
async def grant_role(
    account_id: uuid.UUID, body: RoleGrantIn, actor: RoleManager, session: DbSession
) -> RoleGrantPublic:
    grant = await auth_service.grant_role(
        session,
        actor_id=actor.account.id,
        account_id=account_id,
        role=body.role,
        organisation_id=body.organisation_id,
    )
    return RoleGrantPublic.model_validate(grant)


@router.delete(
    "/accounts/{account_id}/roles/{grant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
)
async def revoke_role(
    account_id: uuid.UUID, grant_id: uuid.UUID, actor: RoleManager, session: DbSession
) -> None:
    await auth_service.revoke_role(
        session, actor_id=actor.account.id, account_id=account_id, grant_id=grant_id
    )
