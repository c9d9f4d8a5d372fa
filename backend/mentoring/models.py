import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime


class MentorProfile(SQLModel, table=True):
    __tablename__ = "mentor_profile"

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    languages: str = Field(default="", max_length=64)
    city: str | None = Field(default=None, max_length=80)
    region: str | None = Field(default=None, max_length=80)
    capacity: int = Field(default=2)
    available: bool = Field(default=True)


class MentorshipStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    ENDED = "ended"


class Mentorship(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    mentor_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    mentee_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    status: MentorshipStatus = Field(index=True, sa_type=EnumText(MentorshipStatus, length=16))
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    override_reason: str | None = Field(default=None, max_length=500)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    end_reason: str | None = Field(default=None, max_length=500)
