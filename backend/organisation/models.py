import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime


class OrganisationKind(StrEnum):
    REFERRING_CHARITY = "referring_charity"
    EMPLOYER = "employer"
    BOTH = "both"


class Organisation(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=120)
    name_key: str = Field(max_length=200, unique=True)
    kind: OrganisationKind = Field(sa_type=EnumText(OrganisationKind, length=32))
    created_at: datetime = Field(sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
