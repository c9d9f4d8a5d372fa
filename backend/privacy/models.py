import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime
from backend.room.models import RoomKind


class RetentionSetting(SQLModel, table=True):
    """How long messages are kept in rooms of one kind. No row, or ``days`` None: kept."""

    __tablename__ = "retention_setting"

    room_kind: RoomKind = Field(primary_key=True, sa_type=EnumText(RoomKind, length=32))
    days: int | None = Field(default=None)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: uuid.UUID | None = Field(default=None)
