import uuid

from sqlmodel import col, delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import Account
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.safety.models import Block


async def block_account(
    session: AsyncSession, *, blocker_id: uuid.UUID, blocked_id: uuid.UUID
) -> Block:
    if blocker_id == blocked_id:
        raise Conflict("You cannot block yourself.")
    if await session.get(Account, blocked_id) is None:
        raise NotFound()
    existing = (
        await session.exec(
            select(Block)
            .where(Block.blocker_id == blocker_id)
            .where(Block.blocked_id == blocked_id)
        )
    ).first()
    if existing is not None:
        return existing
    block = Block(blocker_id=blocker_id, blocked_id=blocked_id, created_at=utc_now())
    session.add(block)
    await session.flush()
    return block


async def unblock_account(
    session: AsyncSession, *, blocker_id: uuid.UUID, blocked_id: uuid.UUID
) -> None:
    await session.exec(
        delete(Block)
        .where(col(Block.blocker_id) == blocker_id)
        .where(col(Block.blocked_id) == blocked_id)
    )


async def list_blocked(session: AsyncSession, blocker_id: uuid.UUID) -> list[tuple[Block, str]]:
    statement = (
        select(Block, Account)
        .join(Account, col(Account.id) == col(Block.blocked_id))
        .where(Block.blocker_id == blocker_id)
        .order_by(col(Block.created_at).desc())
    )
    return [(block, account.pseudonym) for block, account in (await session.exec(statement)).all()]


async def is_blocked_between(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """True when either of the two has blocked the other."""
    statement = select(Block.id).where(
        or_(
            (col(Block.blocker_id) == a) & (col(Block.blocked_id) == b),
            (col(Block.blocker_id) == b) & (col(Block.blocked_id) == a),
        )
    )
    return (await session.exec(statement)).first() is not None


async def blocked_either_way(session: AsyncSession, account_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone this account blocked or was blocked by."""
    statement = select(Block).where(
        or_(col(Block.blocker_id) == account_id, col(Block.blocked_id) == account_id)
    )
    found: set[uuid.UUID] = set()
    for block in (await session.exec(statement)).all():
        found.add(block.blocked_id if block.blocker_id == account_id else block.blocker_id)
    return found
