import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from backend.core.schemas import SUPPORTED_LANGUAGES, Input, Output
from backend.room import rules
from backend.room.models import NotifyLevel, RoomKind, RoomRole


def _body(value: str) -> str:
    return rules.clean_body(value)


def _warning(value: str | None) -> str | None:
    return rules.clean_content_warning(value)


ContentWarning = Annotated[
    str | None,
    Field(max_length=rules.MAX_CONTENT_WARNING_CHARS + 40),
    AfterValidator(_warning),
]
MessageBody = Annotated[str, Field(max_length=rules.MAX_MESSAGE_CHARS + 200), AfterValidator(_body)]
ClientId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=rules.MAX_CLIENT_ID_CHARS, pattern=r"^[A-Za-z0-9._:-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("Give the time with its time zone, e.g. 2026-03-01T18:00:00+01:00.")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class RoomCreate(Input):
    kind: Literal["support_group", "working_group", "announcements"]
    name: Name
    topic: Annotated[str, StringConstraints(strip_whitespace=True, max_length=280)] = ""


class RoomPublic(Output):
    id: uuid.UUID
    kind: RoomKind
    name: str
    topic: str
    created_at: datetime
    is_open: bool
    last_seq: int
    my_role: RoomRole | None = None
    my_state: str | None = None
    last_read_seq: int = 0
    unread: int = 0
    muted_until: datetime | None = None
    notify_level: NotifyLevel = NotifyLevel.ALL


class MemberPublic(Output):
    account_id: uuid.UUID
    pseudonym: str
    role: RoomRole
    state: str


class MemberAdd(Input):
    account_id: uuid.UUID
    role: RoomRole = RoomRole.MEMBER


class MemberRemoval(Input):
    account_id: uuid.UUID
    reason: Reason


class MuteCreate(Input):
    account_id: uuid.UUID
    minutes: int = Field(ge=1, le=60 * 24 * 30)
    reason: Reason


class AuthorPublic(Output):
    id: uuid.UUID
    pseudonym: str


class MessagePublic(Output):
    id: uuid.UUID
    room_id: uuid.UUID
    seq: int
    kind: str
    author: AuthorPublic | None
    body: str
    reply_to: int | None
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    deleted_by_moderator: bool
    delete_reason: str | None
    # Shown before the text, which a client keeps folded until the reader opens it.
    content_warning: str | None = None
    # Her author is someone the reader blocked: the client shows it folded away.
    collapsed: bool = False


class MessageCreate(Input):
    client_id: ClientId
    body: MessageBody
    reply_to: int | None = Field(default=None, ge=1)
    # Support and working groups only (rules.CONTENT_WARNING_KINDS).
    content_warning: ContentWarning = None


class MessagePosted(Output):
    message: MessagePublic
    duplicate: bool


class MessageEdit(Input):
    body: MessageBody


class ModeratorRemoval(Input):
    reason: Reason


class RevisionPublic(Output):
    body: str
    replaced_at: datetime
    replaced_by: uuid.UUID | None


class NotifyLevelIn(Input):
    level: NotifyLevel


class ReadMarker(Input):
    seq: int = Field(ge=0)


class DirectCreate(Input):
    account_id: uuid.UUID


class TicketOut(Output):
    ticket: str
    expires_at: datetime


class GroupSessionCreate(Input):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    topic: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    language: str = "en"

    @model_validator(mode="after")
    def _check(self) -> "GroupSessionCreate":
        if self.ends_at <= self.starts_at:
            raise ValueError("A session ends after it starts.")
        if self.language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"The language is one of {', '.join(SUPPORTED_LANGUAGES)}.")
        return self


class SeriesCreate(Input):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    sessions: list[GroupSessionCreate] = Field(
        min_length=rules.SERIES_MIN_SESSIONS, max_length=rules.SERIES_MAX_SESSIONS
    )


class GroupSessionPublic(Output):
    id: uuid.UUID
    room_id: uuid.UUID
    series_id: uuid.UUID | None
    facilitator: AuthorPublic | None
    starts_at: datetime
    ends_at: datetime
    topic: str
    language: str


class SeriesPublic(Output):
    id: uuid.UUID
    room_id: uuid.UUID
    title: str
    sessions: list[GroupSessionPublic]


class SeriesAttendancePublic(Output):
    series_id: uuid.UUID
    sessions: int
    # Pseudonym -> sessions attended, for the facilitator.
    attended: dict[str, int]


class AttendanceSet(Input):
    account_ids: list[uuid.UUID] = Field(max_length=500)


class AttendancePublic(Output):
    session_id: uuid.UUID
    attendees: list[AuthorPublic]


class FeedbackQuestionIn(Input):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: Literal["scale", "text"]


class FeedbackQuestionsSet(Input):
    questions: list[FeedbackQuestionIn] = Field(min_length=1, max_length=10)


class FeedbackQuestionPublic(Output):
    id: uuid.UUID
    position: int
    text: str
    kind: str


class FeedbackAnswerIn(Input):
    question_id: uuid.UUID
    scale: int | None = Field(default=None, ge=1, le=5)
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class FeedbackSubmit(Input):
    answers: list[FeedbackAnswerIn] = Field(min_length=1, max_length=10)


class QuestionSummaryPublic(Output):
    question_id: str
    text: str
    kind: str
    responses: int
    average: float | None
    distribution: dict[int, int] | None
    texts: list[str] | None


class FeedbackSummaryPublic(Output):
    session_id: uuid.UUID
    submissions: int
    shown: bool
    questions: list[QuestionSummaryPublic]


# Frames a client sends over /ws (docs/realtime.md).


class SubscribeFrame(Input):
    type: Literal["subscribe"]
    # Room id -> the last sequence number the client holds (0 for none).
    rooms: dict[uuid.UUID, Annotated[int, Field(ge=0)]] = Field(max_length=500)
    # The server_time of her previous subscription: edits and deletions made since, to
    # messages she already holds, are sent again as message_updated.
    changes_since: AwareDatetime | None = None


class UnsubscribeFrame(Input):
    type: Literal["unsubscribe"]
    room_ids: list[uuid.UUID] = Field(max_length=500)


class SendFrame(Input):
    type: Literal["send"]
    room_id: uuid.UUID
    client_id: ClientId
    body: MessageBody
    reply_to: int | None = Field(default=None, ge=1)
    content_warning: ContentWarning = None


class ReadFrame(Input):
    type: Literal["read"]
    room_id: uuid.UUID
    seq: int = Field(ge=0)


class TypingFrame(Input):
    type: Literal["typing"]
    room_id: uuid.UUID
