"""Scheduled work: closing votes at their deadline, marking long-absent members non-active,
promoting newcomers whose attendance now counts, and the notices that fall due (ballot
reminders, cards expiring, group sessions tomorrow).

Every app process may run it; each close locks the vote row, so running twice is harmless.
"""

import asyncio
import logging

from backend.core.db import Database
from backend.membership import cards as card_service
from backend.membership import status as status_service
from backend.membership import votes as vote_service
from backend.membership.approval import CloseContext
from backend.membership.cards import CardSigner
from backend.notification import tasks as notification_tasks

log = logging.getLogger("tandem.tasks")


async def close_due_votes(database: Database, context: CloseContext) -> int:
    """Close every vote that is due, each in its own transaction; returns how many closed.

    Each close locks the row of the vote it decides on (vote_service.close_vote_if_due),
    so a request closing the same vote lazily waits and then finds it closed. A close that
    fails (its approval raised) rolls back that vote alone: it is logged, stays open and is
    tried again on the next round, and the other votes still close.
    """
    async with database.session(write=False) as session:
        open_votes = [vote.id for vote in await vote_service.list_open_votes(session)]
    closed = 0
    for vote_id in open_votes:
        try:
            async with database.session() as session:
                vote = await vote_service.close_vote_if_due(session, vote_id, context)
                now_closed = vote.closed_at is not None
        except Exception:  # one vote's failure must not keep the others open
            log.exception("closing vote %s failed; it is tried again on the next round", vote_id)
            continue
        if now_closed:
            closed += 1
    return closed


async def run_due_work(database: Database, card_signer: CardSigner) -> tuple[int, int]:
    closed = await close_due_votes(database, CloseContext(card_signer=card_signer))
    async with database.session() as session:
        inactive = await status_service.mark_inactive_members(session)
    async with database.session() as session:
        await status_service.promote_ready_newcomers(session)
    # Notices that are due: ballot reminders, cards about to expire, sessions tomorrow.
    async with database.session() as session:
        await vote_service.remind_voters(session)
    async with database.session() as session:
        await card_service.remind_expiring_cards(session)
    async with database.session() as session:
        await notification_tasks.remind_sessions(session)
    return closed, inactive


async def run_forever(database: Database, card_signer: CardSigner, every_seconds: float) -> None:
    while True:
        try:
            await run_due_work(database, card_signer)
        except Exception:  # a failed round is retried on the next one; the reason is logged
            log.exception("scheduled membership work failed")
        await asyncio.sleep(every_seconds)
