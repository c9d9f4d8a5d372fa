from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import (
    Actor,
    AuthServicesDep,
    SelfActor,
    clear_session_cookie,
    require,
)
from backend.core.db import Database
from backend.core.dependencies import ClientKey, DbSession, WriteDbSession, get_database
from backend.core.jsonbody import StrictJSONRoute
from backend.privacy import service as privacy_service
from backend.privacy.schemas import EraseIn, RetentionIn, RetentionPublic
from backend.room.models import RoomKind

router = APIRouter(tags=["data rights"], route_class=StrictJSONRoute)

SettingsManager = Annotated[Actor, Depends(require(Capability.SETTINGS_MANAGE))]
DatabaseDep = Annotated[Database, Depends(get_database)]


@router.get(
    "/me/export",
    response_class=JSONResponse,
    responses={200: {"description": "Everything about you, as a JSON file to keep."}},
)
async def export_my_data(actor: SelfActor, session: WriteDbSession) -> JSONResponse:
    """Download everything Tandem holds about you. Keep the file somewhere safe."""
    data: dict[str, Any] = await privacy_service.export_data(
        session, actor.account.id, duress=actor.session.duress
    )
    filename = f"my-data-{date.today().isoformat()}.json"  # noqa: DTZ011 - a file name
    return JSONResponse(
        jsonable_encoder(data),
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/me/erase", status_code=status.HTTP_204_NO_CONTENT)
async def erase_my_account(
    body: EraseIn,
    actor: SelfActor,
    database: DatabaseDep,
    services: AuthServicesDep,
    client: ClientKey,
) -> Response:
    """Erase your account for good: your identity, your messages' text, your name.

    Your password is asked again. Nothing can bring the account back.
    """
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response)
    if actor.session.duress:
        # Someone may be watching her: it looks done, nothing is erased, this session ends.
        async with database.session() as session:
            await privacy_service.refuse_erasure_under_duress(session, actor.session.id)
        return response
    # Its own unit of work, not the request's: the database files are scrubbed after the
    # erasure has committed, and before the answer says it is done.
    async with database.session() as session:
        await auth_service.confirm_password(
            session,
            services,
            account_id=actor.account.id,
            password=body.password,
            client_key=client,
        )
        await privacy_service.erase_account(session, actor.account.id)
    await privacy_service.scrub_free_space(database)
    return response


@router.get("/admin/retention", response_model=list[RetentionPublic])
async def list_retention(_actor: SettingsManager, session: DbSession) -> list[RetentionPublic]:
    """How long messages are kept, per room kind (no number: kept)."""
    rows = await privacy_service.list_retention(session)
    return [RetentionPublic.model_validate(r) for r in rows]


@router.put("/admin/retention/{room_kind}", response_model=list[RetentionPublic])
async def set_retention(
    room_kind: RoomKind, body: RetentionIn, actor: SettingsManager, session: DbSession
) -> list[RetentionPublic]:
    """Keep messages in rooms of this kind for so many days (null: keep them)."""
    rows = await privacy_service.set_retention(
        session, actor_id=actor.account.id, room_kind=room_kind, days=body.days
    )
    return [RetentionPublic.model_validate(r) for r in rows]
