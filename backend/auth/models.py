import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.auth.capabilities import Role
from backend.core.db import EnumText, UTCDateTime


class Account(SQLModel, table=True):
    """A person's account. It holds a pseudonym and nothing that identifies her."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    pseudonym: str = Field(max_length=32)
    # NFKC + casefold: what makes two pseudonyms "the same" for uniqueness and login.
    pseudonym_key: str = Field(max_length=128, unique=True)
    password_hash: str = Field(max_length=255)
    language: str = Field(default="en", max_length=8)
    # An IANA zone name ("Europe/Rome"): dates, reminders and quiet hours are hers, not UTC.
    time_zone: str = Field(default="UTC", max_length=64)
    # The restriction effects in force (moderation.restrictions), kept here so the one
    # query every request runs sees them; the safeguarding domain keeps the history.
    restrictions: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    password_changed_at: datetime = Field(sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A server-side login session; the client holds only a random token."""

    __tablename__ = "auth_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Opened with her duress password: everything she sees is harmless and empty.
    duress: bool = Field(default=False)


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoleGrant(SQLModel, table=True):
    """A role an account holds, for the whole community or within one organisation."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("account_id", "role", "organisation_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_type=EnumText(Role, length=32))
    organisation_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="CASCADE"
    )
    granted_by: uuid.UUID | None = Field(default=None)
    granted_at: datetime = Field(sa_type=UTCDateTime)


class DuressSecret(SQLModel, table=True):
    """Her duress password's hash. Signing in with it opens a harmless, empty view and
    quietly alerts safeguarding."""

    __tablename__ = "duress_secret"

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    password_hash: str = Field(max_length=255)
    set_at: datetime = Field(sa_type=UTCDateTime)


class WsTicket(SQLModel, table=True):
    """A short-lived, single-use ticket that opens one WebSocket for one login session."""

    __tablename__ = "ws_ticket"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ticket_hash: str = Field(max_length=64, unique=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", ondelete="CASCADE")
    session_id: uuid.UUID = Field(foreign_key="auth_session.id", ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlaceKind(StrEnum):
    REGISTERED = "registered"
    SIGNED_IN = "signed_in"


class AccountPlace(SQLModel, table=True):
    """Where an account registered or signed in from, as keyed hashes only (auth/places.py):
    the network (/24, /56) and the browser, never the address. Kept 30 days, for the
    officers' trust graph; never shown raw, never exported, deleted with her account."""

    __tablename__ = "account_place"
    __table_args__ = (UniqueConstraint("account_id", "kind", "period", "place"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    kind: PlaceKind = Field(sa_type=EnumText(PlaceKind, length=16))
    # The key rotates every period; a row also carries the hash under the period before,
    # so two visits on either side of a rotation still match.
    period: int
    place: str = Field(max_length=64, index=True)
    place_before: str = Field(max_length=64, index=True)
    # The latest time it was seen from there: the 30 days count from it.
    at: datetime = Field(sa_type=UTCDateTime, index=True)
