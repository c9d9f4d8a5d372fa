import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from backend.core.schemas import Input, Output

Minute = Annotated[int, Field(ge=0, le=24 * 60 - 1)]


class NotificationPublic(Output):
    seq: int
    id: uuid.UUID
    kind: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None


class FeedPublic(Output):
    items: list[NotificationPublic]
    unread: int
    head_seq: int
    # Pass as before_seq for the next (older) page; null when this was the last.
    next_before_seq: int | None


class UnreadPublic(Output):
    unread: int
    head_seq: int


class ReadAllIn(Input):
    # What she has seen: items that arrived after it stay unread.
    up_to_seq: int | None = Field(default=None, ge=0)


class ReadAllPublic(Output):
    marked: int
    unread: int


class PreferencesIn(Input):
    disabled_kinds: list[str] = Field(default_factory=list, max_length=64)
    # Minutes after midnight in her time zone (account.time_zone); may wrap past midnight.
    quiet_start_minute: Minute | None = None
    quiet_end_minute: Minute | None = None
    paused_until: AwareDatetime | None = None


class KindPublic(Output):
    kind: str
    enabled: bool
    can_switch_off: bool


class PreferencesPublic(Output):
    kinds: list[KindPublic]
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    paused_until: datetime | None
    quiet_now: bool


Base64Url = Annotated[
    str, StringConstraints(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_\-=]+$")
]


class PushKeys(Input):
    p256dh: Base64Url
    auth: Base64Url


class PushSubscriptionIn(Input):
    endpoint: Annotated[str, StringConstraints(min_length=10, max_length=1000)]
    keys: PushKeys

    @model_validator(mode="after")
    def _https(self) -> "PushSubscriptionIn":
        if not self.endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("A push endpoint is an https address.")
        return self


class PushSubscriptionPublic(Output):
    id: uuid.UUID
    created_at: datetime


class PushKeyPublic(Output):
    enabled: bool
    public_key: str | None


# The frame a client sends over /ws to follow her feed (docs/realtime.md).


class FeedResumeFrame(Input):
    """Start (or resume) an account feed: the server sends what came after ``after_seq``."""

    type: Literal["notifications"]
    after_seq: int = Field(default=0, ge=0)
