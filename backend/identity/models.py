import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime


class SealedIdentity(SQLModel, table=True):
    """A person's legal identity and contact details, only ever stored encrypted."""

    __tablename__ = "sealed_identity"

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    key_id: str = Field(max_length=40, index=True)
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class UnsealStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    # Break-glass: opened at once by one officer, to be reviewed by another.
    EMERGENCY = "emergency"


class UnsealRequest(SQLModel, table=True):
    __tablename__ = "unseal_request"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    requested_by: uuid.UUID = Field(foreign_key="account.id", index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: UnsealStatus = Field(index=True, sa_type=EnumText(UnsealStatus, length=16))
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewed_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    open_count: int = Field(default=0)
    last_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdentityDisclosure(SQLModel, table=True):
    """One reading of a person's identity for a stated purpose outside unsealing (payroll).

    She sees every one of them in her "who looked at my identity" list.
    """

    __tablename__ = "identity_disclosure"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    read_by: uuid.UUID = Field(foreign_key="account.id", index=True)
    purpose: str = Field(max_length=32)
    # The organisation the reader acted for, if any.
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    fields: str = Field(max_length=200)
    read_at: datetime = Field(sa_type=UTCDateTime)
