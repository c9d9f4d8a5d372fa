import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import UTCDateTime


class OrganisationSso(SQLModel, table=True):
    """How one organisation's staff sign in. The client secret is a file beside the key
    file, never a column."""

    __tablename__ = "organisation_sso"

    organisation_id: uuid.UUID = Field(
        foreign_key="organisation.id", primary_key=True, ondelete="CASCADE"
    )
    issuer: str = Field(max_length=255)
    client_id: str = Field(max_length=255)
    allowed_domain: str = Field(max_length=255)
    # Comma-separated staff roles a newly signed-in person is granted in the organisation.
    roles: str = Field(max_length=128)
    configured_by: uuid.UUID | None = Field(default=None)
    configured_at: datetime = Field(sa_type=UTCDateTime)


class SsoLink(SQLModel, table=True):
    """Which Tandem account a provider's subject signs in as, within one organisation.

    ``subject_hash`` is a keyed hash of the issuer and the subject: the provider's own
    identifier is not kept in clear, and neither is the e-mail address.
    """

    __tablename__ = "sso_link"
    __table_args__ = (UniqueConstraint("organisation_id", "subject_hash"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(
        foreign_key="organisation.id", index=True, ondelete="CASCADE"
    )
    subject_hash: str = Field(max_length=64)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_signed_in_at: datetime = Field(sa_type=UTCDateTime)


class SsoLoginAttempt(SQLModel, table=True):
    """One sign-in in progress: usable once, for a few minutes, by the browser that began it."""

    __tablename__ = "sso_login_attempt"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(
        foreign_key="organisation.id", index=True, ondelete="CASCADE"
    )
    state_hash: str = Field(max_length=64, unique=True)
    browser_hash: str = Field(max_length=64)
    nonce: str = Field(max_length=128)
    code_verifier: str = Field(max_length=128)
    redirect_uri: str = Field(max_length=512)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
