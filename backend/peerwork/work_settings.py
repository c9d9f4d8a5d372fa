"""The time zone an organisation plans in, and the periods it implies."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import InvalidInput
from backend.peerwork.models import WorkSettings


def _tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("Unknown time zone.", fields={"timezone": "Unknown time zone."}) from exc


async def organisation_tz(session: AsyncSession, organisation_id: uuid.UUID) -> ZoneInfo:
    settings = await session.get(WorkSettings, organisation_id)
    return _tz(settings.timezone if settings else "Europe/Paris")


async def set_timezone(
    session: AsyncSession, *, actor_id: uuid.UUID, organisation_id: uuid.UUID, timezone: str
) -> WorkSettings:
    _tz(timezone)
    settings = await session.get(WorkSettings, organisation_id) or WorkSettings(
        organisation_id=organisation_id
    )
    settings.timezone = timezone
    session.add(settings)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="peerwork.timezone_set",
        subject=f"organisation:{organisation_id}",
        details={"timezone": timezone},
    )
    return settings


async def period_bounds(
    session: AsyncSession, organisation_id: uuid.UUID, starts_on: date, ends_on: date
) -> tuple[datetime, datetime]:
    tz = await organisation_tz(session, organisation_id)
    start = datetime.combine(starts_on, time()).replace(tzinfo=tz).astimezone(UTC)
    end = datetime.combine(ends_on + timedelta(days=1), time()).replace(tzinfo=tz).astimezone(UTC)
    return start, end
