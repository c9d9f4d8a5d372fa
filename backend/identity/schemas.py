import uuid
from datetime import date, datetime

from pydantic import Field, field_validator

from backend.core.schemas import Input, Output
from backend.identity.models import UnsealStatus

REASON_MIN = 20


class IdentityFields(Input):
    legal_name: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=4000)


class IdentityPublic(Output):
    """The opened identity, as shown to the person herself or an approved officer."""

    account_id: uuid.UUID
    fields: IdentityFields
    updated_at: datetime


class UnsealRequestIn(Input):
    account_id: uuid.UUID
    reason: str = Field(max_length=2000)
    emergency: bool = False

    @field_validator("reason")
    @classmethod
    def reason_is_stated(cls, value: str) -> str:
        value = value.strip()
        if len(value) < REASON_MIN:
            raise ValueError(
                f"State the reason in at least {REASON_MIN} characters: "
                "the person will be able to read it."
            )
        return value


class DecisionIn(Input):
    note: str | None = Field(default=None, max_length=2000)


class ReviewIn(Input):
    note: str = Field(min_length=1, max_length=2000)


class UnsealRequestPublic(Output):
    id: uuid.UUID
    account_id: uuid.UUID
    account_pseudonym: str
    requested_by: str
    reason: str
    status: UnsealStatus
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    needs_review: bool
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    open_until: datetime | None
    open_count: int


class MyUnsealingPublic(Output):
    """One time a person's identity was opened, as she sees it."""

    id: uuid.UUID
    opened_by: str
    approved_by: str | None
    reason: str
    emergency: bool
    requested_at: datetime
    open_count: int
    last_opened_at: datetime | None
    # "unsealing" (two safeguarding officers) or "payroll" (an organisation's payroll).
    kind: str = "unsealing"
