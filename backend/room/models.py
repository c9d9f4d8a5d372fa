import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.db import EnumText, UTCDateTime


class RoomKind(StrEnum):
    SUPPORT_GROUP = "support_group"
    MENTORING = "mentoring"
    WORKING_GROUP = "working_group"
    ACTIVE_MEMBERS = "active_members"
    ANNOUNCEMENTS = "announcements"
    DIRECT = "direct"
    # The one room every signed-in person may read, newcomers included; facilitators write.
    WELCOME = "welcome"
    # A facilitator's private conversation with a newcomer who is not a member yet.
    WELCOME_CHAT = "welcome_chat"


class RoomRole(StrEnum):
    MEMBER = "member"
    # A facilitator in a support group, a convenor in a working group: moderates the room.
    MODERATOR = "moderator"


class MemberState(StrEnum):
    # Asked into a direct conversation, not yet accepted.
    INVITED = "invited"
    ACTIVE = "active"
    LEFT = "left"
    # Removed by a moderator: cannot join again by herself.
    REMOVED = "removed"


class NotifyLevel(StrEnum):
    """What of a room reaches her feed: a mention of her ("all" and "mentions"), or nothing."""

    ALL = "all"
    MENTIONS = "mentions"
    NONE = "none"


class MessageKind(StrEnum):
    TEXT = "text"
    SYSTEM = "system"


class Room(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: RoomKind = Field(index=True, sa_type=EnumText(RoomKind, length=32))
    name: str = Field(max_length=80)
    topic: str = Field(default="", max_length=280)
    # Makes rooms that must exist once unique: a mentoring pair, a direct pair, the active
    # members' room.
    unique_key: str | None = Field(default=None, max_length=120, unique=True)
    created_by: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    # None while a direct conversation waits for the other side.
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last sequence number given to a message; raised in the transaction that stores it.
    last_seq: int = Field(default=0)


class RoomMember(SQLModel, table=True):
    __tablename__ = "room_member"
    __table_args__ = (UniqueConstraint("room_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    room_id: uuid.UUID = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    role: RoomRole = Field(default=RoomRole.MEMBER, sa_type=EnumText(RoomRole, length=16))
    state: MemberState = Field(default=MemberState.ACTIVE, sa_type=EnumText(MemberState, length=16))
    joined_at: datetime = Field(sa_type=UTCDateTime)
    last_read_seq: int = Field(default=0)
    muted_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notify_level: NotifyLevel = Field(
        default=NotifyLevel.ALL, sa_type=EnumText(NotifyLevel, length=16)
    )


class RoomMessage(SQLModel, table=True):
    __tablename__ = "room_message"
    __table_args__ = (
        UniqueConstraint("room_id", "seq"),
        Index("ix_room_message_room_changed", "room_id", "changed_at"),
        # A resent frame with the same client id finds the message it already made.
        UniqueConstraint("room_id", "author_id", "client_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    room_id: uuid.UUID = Field(foreign_key="room.id", ondelete="CASCADE")
    seq: int
    author_id: uuid.UUID | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    client_id: str | None = Field(default=None, max_length=64)
    kind: MessageKind = Field(default=MessageKind.TEXT, sa_type=EnumText(MessageKind, length=16))
    body: str = Field(sa_column=Column(Text, nullable=False))
    reply_to_seq: int | None = Field(default=None)
    # A few words the reader sees before the text, which stays folded until she opens it.
    content_warning: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: uuid.UUID | None = Field(default=None)
    delete_reason: str | None = Field(default=None, max_length=500)
    # Last edit, deletion or release: what a resuming client asks about (changes_since).
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MessageRevision(SQLModel, table=True):
    """A text a message had before an edit or a moderator's removal; moderators read these."""

    __tablename__ = "message_revision"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    message_id: uuid.UUID = Field(foreign_key="room_message.id", index=True, ondelete="CASCADE")
    body: str = Field(sa_column=Column(Text, nullable=False))
    replaced_at: datetime = Field(sa_type=UTCDateTime)
    replaced_by: uuid.UUID | None = Field(default=None)


class SessionSeries(SQLModel, table=True):
    """A workshop series (life skills, 4 to 6 sessions) attended as a whole."""

    __tablename__ = "session_series"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    room_id: uuid.UUID = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=120)
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(sa_type=UTCDateTime)


class GroupSession(SQLModel, table=True):
    __tablename__ = "group_session"
    __table_args__ = (Index("ix_group_session_room_starts", "room_id", "starts_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    room_id: uuid.UUID = Field(foreign_key="room.id", ondelete="CASCADE")
    series_id: uuid.UUID | None = Field(
        default=None, foreign_key="session_series.id", index=True, ondelete="CASCADE"
    )
    facilitator_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", ondelete="SET NULL"
    )
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    topic: str = Field(max_length=200)
    language: str = Field(max_length=8)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SessionAttendance(SQLModel, table=True):
    __tablename__ = "session_attendance"
    __table_args__ = (UniqueConstraint("session_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="group_session.id", index=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    recorded_by: uuid.UUID | None = Field(default=None)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class FeedbackQuestion(SQLModel, table=True):
    __tablename__ = "feedback_question"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="group_session.id", index=True, ondelete="CASCADE")
    position: int
    text: str = Field(max_length=300)
    # "scale" (1 to 5) or "text".
    kind: str = Field(max_length=8)


class FeedbackSubmission(SQLModel, table=True):
    """That she answered, so she answers once; which answers are hers is not recorded."""

    __tablename__ = "feedback_submission"
    __table_args__ = (UniqueConstraint("session_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="group_session.id", index=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(foreign_key="account.id", ondelete="CASCADE")


class FeedbackAnswer(SQLModel, table=True):
    """One anonymous answer: no account, no time."""

    __tablename__ = "feedback_answer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    question_id: uuid.UUID = Field(
        foreign_key="feedback_question.id", index=True, ondelete="CASCADE"
    )
    scale_value: int | None = Field(default=None)
    text_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
