import uuid
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime
from backend.notification.catalogue import Kind


class Notification(SQLModel, table=True):
    """One item of her feed. The text is not stored: it is rendered from ``template`` and
    ``params`` when read, in her language of the moment."""

    __table_args__ = (
        UniqueConstraint("account_id", "seq", name="uq_notification_account_seq"),
        # A scheduled reminder is given once (NULL keys never collide).
        UniqueConstraint("account_id", "dedupe_key", name="uq_notification_account_dedupe"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", ondelete="CASCADE")
    # Per account, 1, 2, 3…: what a reconnecting socket resumes from.
    seq: int
    kind: Kind = Field(sa_type=EnumText(Kind, length=48))
    template: str = Field(max_length=64)
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    link: str = Field(default="", max_length=200)
    dedupe_key: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationCounter(SQLModel, table=True):
    """The last sequence number given in her feed; raised in the transaction that stores one."""

    __tablename__ = "notification_counter"

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    last_seq: int = Field(default=0)


class NotificationPreference(SQLModel, table=True):
    __tablename__ = "notification_preference"

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    # JSON list of kinds she switched off (safety kinds are never honoured here).
    disabled_kinds: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    # Minutes after midnight in her time zone; the window may wrap past midnight.
    quiet_start_minute: int | None = Field(default=None)
    quiet_end_minute: int | None = Field(default=None)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push endpoint for her (outside the app: constant text only)."""

    __tablename__ = "push_subscription"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
