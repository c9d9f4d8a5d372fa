"""Scheduled safeguarding work: restrictions that reached their end are lifted."""

import asyncio
import logging

from backend.core.db import Database
from backend.safeguarding import restrictions as restriction_service

log = logging.getLogger("tandem.tasks")


async def run_due_work(database: Database) -> int:
    async with database.session() as session:
        return await restriction_service.expire_restrictions(session)


async def run_forever(database: Database, every_seconds: float) -> None:
    while True:
        try:
            await run_due_work(database)
        except Exception:  # retried on the next round; the reason is logged
            log.exception("scheduled safeguarding work failed")
        await asyncio.sleep(every_seconds)
