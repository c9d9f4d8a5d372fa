import uuid
from datetime import datetime

from pydantic import Field

from backend.auth.schemas import Language
from backend.core.schemas import Input, Output
from backend.mentoring.models import MentorshipStatus


class MentorProfileIn(Input):
    languages: list[Language] = Field(min_length=1, max_length=5)
    city: str | None = Field(default=None, max_length=80)
    region: str | None = Field(default=None, max_length=80)
    capacity: int = Field(default=2, ge=0, le=10)
    available: bool = True


class MentorProfilePublic(Output):
    languages: list[str]
    city: str | None
    region: str | None
    capacity: int
    available: bool


class ConfirmIn(Input):
    mentor_id: uuid.UUID | None = None
    reason: str | None = Field(default=None, max_length=500)


class EndIn(Input):
    reason: str = Field(min_length=3, max_length=500)


class MentorshipPublic(Output):
    id: uuid.UUID
    mentor: str
    mentee: str
    status: MentorshipStatus
    proposed_at: datetime
    confirmed_at: datetime | None
    ended_at: datetime | None
    i_am: str | None = None
