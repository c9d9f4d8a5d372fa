"""Who may see, join, post in and moderate each kind of room; limits. Pure: no I/O."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean

from backend.auth.capabilities import Capability, Grants
from backend.room.models import MemberState, RoomKind, RoomRole
from moderation.restrictions import Effect

MAX_MESSAGE_CHARS = 4000
MAX_CLIENT_ID_CHARS = 64
MAX_CONTENT_WARNING_CHARS = 80
# Below this many answers a facilitator sees only the count: a handful of answers could
# be matched to the people who came.
MIN_FEEDBACK_RESPONSES = 3
SERIES_MIN_SESSIONS = 4
SERIES_MAX_SESSIONS = 6

# Mentoring and direct rooms are private to their members: community moderators reach
# their content only through a member's report.
PRIVATE_KINDS = frozenset({RoomKind.MENTORING, RoomKind.DIRECT, RoomKind.WELCOME_CHAT})
SELF_JOIN_KINDS = frozenset({RoomKind.SUPPORT_GROUP, RoomKind.ANNOUNCEMENTS, RoomKind.WELCOME})
# Rooms open to people who are not members yet: all they can read until they are.
NEWCOMER_KINDS = frozenset({RoomKind.WELCOME, RoomKind.WELCOME_CHAT})
# Written by facilitators and moderators only.
BROADCAST_KINDS = frozenset({RoomKind.ANNOUNCEMENTS, RoomKind.WELCOME})
# Where a member may put a content warning on her message: groups, where what she shares
# about her past reaches many people who did not choose to read it now. In a one-to-one
# room she can ask the other person first; announcements and the welcome room are
# written by facilitators for everyone and have no place for such content.
CONTENT_WARNING_KINDS = frozenset({RoomKind.SUPPORT_GROUP, RoomKind.WORKING_GROUP})


@dataclass(frozen=True)
class MemberView:
    role: RoomRole
    state: MemberState
    muted_until: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.state is MemberState.ACTIVE

    @property
    def is_moderator(self) -> bool:
        return self.is_active and self.role is RoomRole.MODERATOR


def _takes_part(grants: Grants, kind: RoomKind | None = None) -> bool:
    if kind in NEWCOMER_KINDS:
        return grants.can(Capability.ACCOUNT_SELF) and not (
            grants.restricted(Effect.DURESS) or grants.restricted(Effect.REMOVED_FROM_ROOMS)
        )
    return (
        grants.can(Capability.ROOMS_PARTICIPATE)
        or grants.can(Capability.ROOMS_FACILITATE)
        or grants.can(Capability.ROOMS_MODERATE)
    )


def is_community_moderator(kind: RoomKind, grants: Grants) -> bool:
    return kind not in PRIVATE_KINDS and grants.can(Capability.ROOMS_MODERATE)


def can_see(kind: RoomKind, member: MemberView | None, grants: Grants) -> bool:
    """Know that the room exists: its name, kind and sessions."""
    if member is not None and member.state in (MemberState.ACTIVE, MemberState.INVITED):
        return _takes_part(grants, kind)
    if kind is RoomKind.WELCOME and _takes_part(grants, kind):
        return True
    if kind in SELF_JOIN_KINDS and grants.can(Capability.ROOMS_PARTICIPATE):
        return True
    return is_community_moderator(kind, grants)


def can_read(kind: RoomKind, member: MemberView | None, grants: Grants) -> bool:
    """Read its messages and members, and receive them live."""
    if member is not None and member.is_active:
        return _takes_part(grants, kind)
    return is_community_moderator(kind, grants)


def can_join(kind: RoomKind, member: MemberView | None, grants: Grants) -> bool:
    if kind is RoomKind.WELCOME:
        allowed = _takes_part(grants, kind)
    else:
        allowed = kind in SELF_JOIN_KINDS and grants.can(Capability.ROOMS_PARTICIPATE)
    return allowed and (member is None or member.state is MemberState.LEFT)


def can_moderate(kind: RoomKind, member: MemberView | None, grants: Grants) -> bool:
    if member is not None and member.is_moderator and _takes_part(grants, kind):
        return True
    return is_community_moderator(kind, grants)


def is_muted(member: MemberView, now: datetime) -> bool:
    return member.muted_until is not None and member.muted_until > now


def post_refusal(
    kind: RoomKind, member: MemberView | None, grants: Grants, *, is_open: bool, now: datetime
) -> str | None:
    """Why she may not post here, or None when she may."""
    if member is None or not member.is_active or not _takes_part(grants, kind):
        return "not_member"
    if grants.restricted(Effect.READ_ONLY):
        return "read_only"
    if kind in PRIVATE_KINDS and grants.restricted(Effect.DIRECT_MESSAGES_FROZEN):
        return "direct_messages_frozen"
    if not is_open:
        return "not_open"
    if is_muted(member, now):
        return "muted"
    if kind in BROADCAST_KINDS and not (
        member.is_moderator
        or grants.can(Capability.ROOMS_FACILITATE)
        or grants.can(Capability.ROOMS_MODERATE)
    ):
        return "announcements_only"
    return None


def can_create(kind: RoomKind, grants: Grants) -> bool:
    """Over HTTP. Mentoring and active members' rooms are made by the membership domain."""
    if kind is RoomKind.SUPPORT_GROUP:
        return grants.can(Capability.ROOMS_FACILITATE)
    if kind is RoomKind.WORKING_GROUP:
        return grants.can(Capability.ROOMS_FACILITATE) or grants.can(Capability.ROOMS_MODERATE)
    if kind is RoomKind.ANNOUNCEMENTS:
        return grants.can(Capability.ROOMS_MODERATE)
    return False


def can_schedule_sessions(kind: RoomKind, member: MemberView | None, grants: Grants) -> bool:
    return (
        kind is RoomKind.SUPPORT_GROUP
        and member is not None
        and member.is_moderator
        and grants.can(Capability.ROOMS_FACILITATE)
    )


def clean_body(body: str) -> str:
    """The text as stored; raises ValueError with a message a person can read."""
    text = body.strip()
    if not text:
        raise ValueError("A message cannot be empty.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"A message is at most {MAX_MESSAGE_CHARS} characters.")
    return text


def clean_content_warning(text: str | None) -> str | None:
    """One short line naming what the message is about, or None for no warning."""
    if text is None:
        return None
    line = " ".join(text.split())
    if not line:
        return None
    if len(line) > MAX_CONTENT_WARNING_CHARS:
        raise ValueError(f"A content warning is at most {MAX_CONTENT_WARNING_CHARS} characters.")
    return line


def mentioned(body: str, pseudonyms: dict[uuid.UUID, str]) -> set[uuid.UUID]:
    """Who of ``pseudonyms`` the text names as ``@Pseudonym`` (any case, whole name)."""
    text = body.casefold()
    found: set[uuid.UUID] = set()
    for account_id, pseudonym in pseudonyms.items():
        needle = "@" + pseudonym.casefold()
        start = text.find(needle)
        while start != -1:
            end = start + len(needle)
            if end == len(text) or not (text[end].isalnum() or text[end] == "_"):
                found.add(account_id)
                break
            start = text.find(needle, end)
    return found


def unique_pair_key(prefix: str, a: object, b: object, *, ordered: bool = False) -> str:
    first, second = (str(a), str(b)) if ordered else sorted((str(a), str(b)))
    return f"{prefix}:{first}:{second}"


@dataclass(frozen=True)
class QuestionSummary:
    question_id: str
    text: str
    kind: str
    responses: int
    average: float | None
    distribution: dict[int, int] | None
    texts: list[str] | None


def summarise_feedback(
    questions: Sequence[tuple[str, str, str]],
    answers: Sequence[tuple[str, int | None, str | None]],
    *,
    submissions: int,
    min_responses: int = MIN_FEEDBACK_RESPONSES,
) -> list[QuestionSummary]:
    """Aggregate anonymous answers; below ``min_responses`` submissions show counts only.

    ``questions`` are (id, text, kind); ``answers`` are (question id, scale, text).
    """
    shown = submissions >= min_responses
    summaries = []
    for question_id, text, kind in questions:
        mine = [a for a in answers if a[0] == question_id]
        scale = [a[1] for a in mine if a[1] is not None]
        texts = sorted(a[2] for a in mine if a[2])
        summaries.append(
            QuestionSummary(
                question_id=question_id,
                text=text,
                kind=kind,
                responses=len(mine),
                average=round(mean(scale), 2) if shown and scale else None,
                distribution=(
                    {value: scale.count(value) for value in range(1, 6)}
                    if shown and kind == "scale"
                    else None
                ),
                # Sorted, not in the order given, so the order cannot point to a person.
                texts=texts if shown and kind == "text" else None,
            )
        )
    return summaries
