import uuid

from fastapi import APIRouter, status

from backend.auth.dependencies import SelfActor
from backend.auth.models import Account
from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.safety import service as safety_service
from backend.safety.schemas import BlockIn, BlockPublic

router = APIRouter(prefix="/blocks", tags=["safety"], route_class=StrictJSONRoute)


@router.get("", response_model=list[BlockPublic])
async def my_blocks(actor: SelfActor, session: DbSession) -> list[BlockPublic]:
    rows = await safety_service.list_blocked(session, actor.account.id)
    return [
        BlockPublic(account_id=block.blocked_id, pseudonym=pseudonym, created_at=block.created_at)
        for block, pseudonym in rows
    ]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BlockPublic)
async def block(body: BlockIn, actor: SelfActor, session: DbSession) -> BlockPublic:
    """Block someone: she is not told, and cannot reach you directly."""
    row = await safety_service.block_account(
        session, blocker_id=actor.account.id, blocked_id=body.account_id
    )
    blocked = await session.get(Account, row.blocked_id)
    return BlockPublic(
        account_id=row.blocked_id,
        pseudonym=blocked.pseudonym if blocked else "",
        created_at=row.created_at,
    )


@router.delete("/{account_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unblock(account_id: uuid.UUID, actor: SelfActor, session: DbSession) -> None:
    await safety_service.unblock_account(
        session, blocker_id=actor.account.id, blocked_id=account_id
    )
