"""Scheduled work: closing votes at their deadline, marking long-absent members non-active,
promoting newcomers whose attendance now counts, and the notices that fall due (ballot
reminders, cards expiring, group sessions tomorrow).

Every app process may run it; each close locks the vote row, so running twice is harmless.
"""

import asyncio
import logging

from backend.core.db import Database
from backend.membership import service as membership_service
from backend.membership.cards import CardSigner
from backend.notification import tasks as notification_tasks

log = logging.getLogger("tandem.tasks")


async def run_due_work(database: Database, card_signer: CardSigner) -> tuple[int, int]:
    context = membership_service.CloseContext(card_signer=card_signer)
    async with database.session() as session:
        closed = await membership_service.close_due_votes(session, context)
    async with database.session() as session:
        inactive = await membership_service.mark_inactive_members(session)
    async with database.session() as session:
        await membership_service.promote_ready_newcomers(session)
    # Notices that are due: ballot reminders, cards about to expire, sessions tomorrow.
    async with database.session() as session:
        await membership_service.remind_voters(session)
    async with database.session() as session:
        await membership_service.remind_expiring_cards(session)
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
