import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import UTCDateTime


class Block(SQLModel, table=True):
    """One member blocking another. The blocked person is never told."""

    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    blocker_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    blocked_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)
