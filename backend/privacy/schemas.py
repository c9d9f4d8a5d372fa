from datetime import datetime

from pydantic import Field

from backend.core.schemas import Input, Output
from backend.room.models import RoomKind

# Ten years: past that, "keep" says it better.
MAX_RETENTION_DAYS = 3650


class EraseIn(Input):
    password: str = Field(min_length=1, max_length=1024)


class RetentionPublic(Output):
    room_kind: RoomKind
    # None: messages in rooms of this kind are kept.
    days: int | None
    updated_at: datetime | None


class RetentionIn(Input):
    days: int | None = Field(ge=1, le=MAX_RETENTION_DAYS)
