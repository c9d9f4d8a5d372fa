"""Scheduled peer-work notices: a debrief due after a shift."""

import asyncio
import logging

from backend.core.db import Database
from backend.peerwork import service as peerwork_service

log = logging.getLogger("tandem.peerwork.tasks")


async def run_due_work(database: Database) -> int:
    async with database.session() as session:
        return await peerwork_service.remind_debriefs(session)


async def run_forever(database: Database, every_seconds: float) -> None:
    while True:
        try:
            await run_due_work(database)
        except Exception:  # retried on the next round; the reason is logged
            log.exception("scheduled peer-work notices failed")
        await asyncio.sleep(every_seconds)
