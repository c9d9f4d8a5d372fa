"""Scheduled work: messages past their room kind's retention become tombstones, and the
linked-account hashes (auth/places.py) older than 30 days are deleted.

Every app process may run it: two runs at once tombstone the same rows to the same state.
"""

import asyncio
import logging

from backend.auth import places
from backend.core.db import Database
from backend.privacy import service

log = logging.getLogger("tandem.tasks")


async def run_due_work(database: Database) -> dict[str, int]:
    async with database.session() as session:
        removed = await service.apply_retention(session)
    async with database.session() as session:
        places_removed = await places.delete_expired(session)
    if places_removed:
        removed = {**removed, "account_places": places_removed}
    if removed:
        await service.scrub_free_space(database)
    return removed


async def run_forever(database: Database, every_seconds: float) -> None:
    while True:
        try:
            await run_due_work(database)
        except Exception:  # a failed round is retried on the next one; the reason is logged
            log.exception("scheduled retention work failed")
        await asyncio.sleep(every_seconds)
