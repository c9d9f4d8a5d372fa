import uuid
from datetime import datetime

from pydantic import Field, field_validator

from backend.core.schemas import Input, Output
from backend.organisation.models import OrganisationKind


def _clean_name(value: str) -> str:
    cleaned = " ".join(value.split())
    if len(cleaned) < 2:
        raise ValueError("A name has at least 2 characters.")
    return cleaned


class OrganisationCreate(Input):
    name: str = Field(max_length=120)
    kind: OrganisationKind

    _name = field_validator("name")(_clean_name)


class OrganisationUpdate(Input):
    name: str | None = Field(default=None, max_length=120)
    kind: OrganisationKind | None = None
    archived: bool | None = None

    @field_validator("name")
    @classmethod
    def clean_name(cls, value: str | None) -> str | None:
        return None if value is None else _clean_name(value)


class OrganisationPublic(Output):
    id: uuid.UUID
    name: str
    kind: OrganisationKind
    created_at: datetime
    archived: bool
