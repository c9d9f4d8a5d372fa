import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.room import events, rules, screening
from backend.room.access import access_message_by_seq, access_room_by_id, get_room_row
from backend.room.errors import PostRefused
from backend.room.models import (
    MemberState,
    MessageKind,
    MessageRevision,
    NotifyLevel,
    Room,
    RoomKind,
    RoomMember,
    RoomMessage,
)
from backend.room.schemas import MessagePublic, RoomPublic
from backend.room.views import message_public, room_public
from backend.safety import service as safety_service
from backend.safety.models import Block

HISTORY_PAGE_MAX = 200


async def pseudonyms(
    session: AsyncSession, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.exec(
        select(Account.id, Account.pseudonym).where(col(Account.id).in_(wanted))
    )
    return dict(rows.all())


async def blocked_by(session: AsyncSession, account_id: uuid.UUID) -> set[uuid.UUID]:
    """The accounts she blocked: their messages reach her collapsed."""
    rows = await session.exec(select(Block.blocked_id).where(Block.blocker_id == account_id))
    return set(rows.all())


async def messages_after(
    session: AsyncSession, room_id: uuid.UUID, *, after: int, limit: int
) -> list[MessagePublic]:
    """Messages with seq > after, oldest first, for catching a connection up. No checks."""
    statement = (
        select(RoomMessage, Account.pseudonym)
        .join(Account, col(Account.id) == col(RoomMessage.author_id), isouter=True)
        .where(RoomMessage.room_id == room_id)
        .where(col(RoomMessage.seq) > after)
        .order_by(col(RoomMessage.seq))
        .limit(limit)
    )
    return [message_public(m, p) for m, p in (await session.exec(statement)).all()]


# A little before the client's mark, so a clock a few seconds apart between app processes
# loses nothing: a change sent twice is harmless (clients replace the message by seq).
CHANGES_MARGIN = timedelta(seconds=10)


async def changes_since(
    session: AsyncSession, room_id: uuid.UUID, *, up_to_seq: int, since: datetime, limit: int
) -> list[MessagePublic] | None:
    """Messages she already holds (seq <= up_to_seq) edited or deleted since ``since``, in
    seq order; None when there are more than ``limit`` (she reloads her history)."""
    statement = (
        select(RoomMessage)
        .where(RoomMessage.room_id == room_id)
        .where(col(RoomMessage.changed_at) > since - CHANGES_MARGIN)
        .where(col(RoomMessage.seq) <= up_to_seq)
        .order_by(col(RoomMessage.seq))
        .limit(limit + 1)
    )
    changed = list((await session.exec(statement)).all())
    if len(changed) > limit:
        return None
    names = await pseudonyms(session, [m.author_id for m in changed])
    return [message_public(m, names.get(m.author_id) if m.author_id else None) for m in changed]


async def list_messages(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    before: int | None,
    after: int | None,
    limit: int,
) -> list[MessagePublic]:
    """History, oldest first: the page just below ``before``, or just above ``after``."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    limit = max(1, min(limit, HISTORY_PAGE_MAX))
    statement = (
        select(RoomMessage, Account.pseudonym)
        .join(Account, col(Account.id) == col(RoomMessage.author_id), isouter=True)
        .where(RoomMessage.room_id == access.room.id)
    )
    if after is not None:
        statement = statement.where(col(RoomMessage.seq) > after).order_by(col(RoomMessage.seq))
    else:
        if before is not None:
            statement = statement.where(col(RoomMessage.seq) < before)
        statement = statement.order_by(col(RoomMessage.seq).desc())
    rows = list((await session.exec(statement.limit(limit))).all())
    if after is None:
        rows.reverse()
    hidden = await blocked_by(session, actor.account.id)
    return [message_public(m, p, collapsed=m.author_id in hidden) for m, p in rows]


async def _lock_room(session: AsyncSession, room_id: uuid.UUID) -> Room:
    """Lock the room row for this transaction (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    write transaction already serialises writers), so sequence numbers never collide or skip."""
    statement = (
        select(Room)
        .where(Room.id == room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    room = (await session.exec(statement)).first()
    if room is None:
        raise NotFound()
    return room


async def _store_message(
    session: AsyncSession,
    *,
    room_id: uuid.UUID,
    author_id: uuid.UUID | None,
    author_pseudonym: str | None,
    body: str,
    kind: MessageKind,
    client_id: str | None = None,
    reply_to: int | None = None,
    content_warning: str | None = None,
) -> tuple[RoomMessage, bool]:
    screened: list[screening.Screened] = []
    if kind is MessageKind.TEXT and author_id is not None:
        # A resend is screened again, but what screening found is recorded only for a new
        # message (after_store, below), so the same words are never flagged twice.
        room_kind = RoomKind((await get_room_row(session, room_id)).kind)
        screened.append(
            await screening.screen(session, screening.Draft(room_id, room_kind, author_id, body))
        )
        body = screened[0].text
        if content_warning is not None:
            # The warning is read first and by everyone: it is screened like the text.
            screened.append(
                await screening.screen(
                    session, screening.Draft(room_id, room_kind, author_id, content_warning)
                )
            )
            content_warning = screened[1].text
    room = await _lock_room(session, room_id)
    if client_id is not None:
        existing = await _stored_already(session, room_id, author_id, client_id)
        if existing is not None:
            return existing, True
    if reply_to is not None and reply_to > room.last_seq:
        raise InvalidInput(
            "That message does not exist in this room.", fields={"reply_to": "No such message."}
        )
    room.last_seq += 1
    message = RoomMessage(
        room_id=room_id,
        seq=room.last_seq,
        author_id=author_id,
        client_id=client_id,
        kind=kind,
        body=body,
        reply_to_seq=reply_to,
        content_warning=content_warning,
        created_at=utc_now(),
    )
    session.add_all([room, message])
    await session.flush()
    for done in screened:
        if done.after_store is not None:
            await done.after_store(session, message.seq)
    public = message_public(message, author_pseudonym)
    events.publish_on_commit(
        session,
        events.MessageEvent(room_id, message.seq, author_id, public.model_dump(mode="json")),
    )
    return message, False


@dataclass(frozen=True)
class Mentions:
    """Room members named in a new message who want to hear of it (not her, not blocked)."""

    room_id: uuid.UUID
    room_name: str
    seq: int
    author_id: uuid.UUID
    author_pseudonym: str
    account_ids: frozenset[uuid.UUID]


MentionListener = Callable[[AsyncSession, Mentions], Awaitable[None]]
# Filled when the application is built (backend.notification); rooms import no domain above.
_mention_listeners: list[MentionListener] = []


def on_mentions(listener: MentionListener) -> None:
    """Call ``listener`` in the posting transaction for every message that names someone."""
    if listener not in _mention_listeners:
        _mention_listeners.append(listener)


async def _announce_mentions(
    session: AsyncSession, room: Room, message: RoomMessage, author_id: uuid.UUID, author: str
) -> None:
    # The common message has no "@": nothing is read, the send path stays as it was.
    if "@" not in message.body or not _mention_listeners:
        return
    rows = (
        await session.exec(
            select(RoomMember.account_id, Account.pseudonym, RoomMember.notify_level)
            .join(Account, col(Account.id) == col(RoomMember.account_id))
            .where(RoomMember.room_id == room.id)
            .where(RoomMember.state == MemberState.ACTIVE)
            .where(RoomMember.account_id != author_id)
        )
    ).all()
    wanting = {a: p for a, p, level in rows if level != NotifyLevel.NONE}
    named = rules.mentioned(message.body, wanting)
    if not named:
        return
    named -= await safety_service.blocked_either_way(session, author_id)
    if not named:
        return
    mentions = Mentions(room.id, room.name, message.seq, author_id, author, frozenset(named))
    for listener in _mention_listeners:
        await listener(session, mentions)


async def set_notify_level(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, level: NotifyLevel
) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    member = access.member
    if member is None or member.state != MemberState.ACTIVE:
        raise NotFound()
    member.notify_level = level
    session.add(member)
    await session.flush()
    return room_public(access.room, member)


async def _stored_already(
    session: AsyncSession, room_id: uuid.UUID, author_id: uuid.UUID | None, client_id: str
) -> RoomMessage | None:
    statement = (
        select(RoomMessage)
        .where(RoomMessage.room_id == room_id)
        .where(RoomMessage.author_id == author_id)
        .where(RoomMessage.client_id == client_id)
    )
    return (await session.exec(statement)).first()


async def post_message(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    client_id: str,
    body: str,
    reply_to: int | None = None,
    content_warning: str | None = None,
) -> tuple[MessagePublic, bool]:
    """Store a message and give it the room's next sequence number; the same client id
    from the same author returns the message already stored (``True`` = duplicate).
    A content warning is taken in support and working groups only."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    refusal = rules.post_refusal(
        access.kind,
        access.view,
        actor.grants,
        is_open=access.room.opened_at is not None,
        now=utc_now(),
    )
    if refusal is not None:
        raise PostRefused(refusal)
    text = rules.clean_body(body)
    try:
        warning = rules.clean_content_warning(content_warning)
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={"content_warning": str(exc)}) from exc
    if warning is not None and access.kind not in rules.CONTENT_WARNING_KINDS:
        raise InvalidInput(
            "Content warnings are for support groups and working groups.",
            fields={
                "content_warning": "Content warnings are for support groups and working groups."
            },
            code="content_warning_not_here",
        )
    message, duplicate = await _store_message(
        session,
        room_id=room_id,
        author_id=actor.account.id,
        author_pseudonym=actor.account.pseudonym,
        body=text,
        kind=MessageKind.TEXT,
        client_id=client_id,
        reply_to=reply_to,
        content_warning=warning,
    )
    if access.member is not None and message.seq > access.member.last_read_seq:
        access.member.last_read_seq = message.seq
        session.add(access.member)
    if not duplicate:
        await _announce_mentions(
            session, access.room, message, actor.account.id, actor.account.pseudonym
        )
    return message_public(message, actor.account.pseudonym), duplicate


async def post_system_message(
    session: AsyncSession, *, room_id: uuid.UUID, text: str
) -> RoomMessage:
    """A message from the community itself (an introduction, a notice). No checks."""
    message, _ = await _store_message(
        session,
        room_id=room_id,
        author_id=None,
        author_pseudonym=None,
        body=rules.clean_body(text),
        kind=MessageKind.SYSTEM,
    )
    return message


def _publish_update(
    session: AsyncSession, message: RoomMessage, pseudonym: str | None
) -> MessagePublic:
    message.changed_at = utc_now()
    session.add(message)
    public = message_public(message, pseudonym)
    events.publish_on_commit(
        session,
        events.MessageUpdatedEvent(
            message.room_id, message.seq, message.author_id, public.model_dump(mode="json")
        ),
    )
    return public


async def release_withheld_text(
    session: AsyncSession, *, room_id: uuid.UUID, seq: int, masked: str, original: str
) -> bool:
    """A moderator let through what screening held back: the message gets its own words
    again, unless its author changed or deleted it since (then nothing changes)."""
    message = (
        await session.exec(
            select(RoomMessage).where(RoomMessage.room_id == room_id).where(RoomMessage.seq == seq)
        )
    ).first()
    if message is None or message.deleted_at is not None or message.body != masked:
        return False
    message.body = original
    session.add(message)
    await session.flush()
    names = await pseudonyms(session, [message.author_id])
    _publish_update(session, message, names.get(message.author_id) if message.author_id else None)
    return True


async def edit_message(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int, *, body: str
) -> MessagePublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    message = await access_message_by_seq(session, access, seq)
    if message.author_id != actor.account.id or message.deleted_at is not None:
        raise Forbidden("Only the author edits a message.", code="not_author")
    if rules.post_refusal(access.kind, access.view, actor.grants, is_open=True, now=utc_now()) in (
        "not_member",
        "muted",
        "read_only",
        "direct_messages_frozen",
    ):
        raise Forbidden("You cannot edit messages here now.", code="cannot_edit")
    text = rules.clean_body(body)
    if text == message.body:
        return message_public(message, actor.account.pseudonym)
    # An edit is screened like a new message: a phone number edited into a message to a
    # newcomer is held back the same way.
    screened = await screening.screen(
        session, screening.Draft(room_id, access.kind, actor.account.id, text)
    )
    now = utc_now()
    session.add(
        MessageRevision(
            message_id=message.id, body=message.body, replaced_at=now, replaced_by=actor.account.id
        )
    )
    message.body = screened.text
    message.edited_at = now
    session.add(message)
    await session.flush()
    if screened.after_store is not None:
        await screened.after_store(session, message.seq)
    return _publish_update(session, message, actor.account.pseudonym)


async def delete_own_message(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int
) -> MessagePublic:
    """Her words are gone, history included; a report made earlier keeps its snapshot."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    message = await access_message_by_seq(session, access, seq)
    if message.author_id != actor.account.id:
        raise Forbidden("Only the author deletes her message.", code="not_author")
    if message.deleted_at is not None:
        return message_public(message, actor.account.pseudonym)
    await session.exec(delete(MessageRevision).where(col(MessageRevision.message_id) == message.id))
    message.body = ""
    message.deleted_at = utc_now()
    message.deleted_by = actor.account.id
    session.add(message)
    await session.flush()
    return _publish_update(session, message, actor.account.pseudonym)


async def remove_message_as_moderator(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int, *, reason: str
) -> MessagePublic:
    """A tombstone with a reason; the text moves to the revisions moderators can read."""
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    message = await access_message_by_seq(session, access, seq)
    if message.deleted_at is not None:
        raise Conflict("This message is already deleted.")
    now = utc_now()
    session.add(
        MessageRevision(
            message_id=message.id, body=message.body, replaced_at=now, replaced_by=actor.account.id
        )
    )
    message.body = ""
    message.deleted_at = now
    message.deleted_by = actor.account.id
    message.delete_reason = reason
    session.add(message)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="room.message_removed",
        subject=f"room:{room_id}",
        details={"seq": seq, "author": str(message.author_id), "reason": reason},
    )
    names = await pseudonyms(session, [message.author_id])
    return _publish_update(
        session, message, names.get(message.author_id) if message.author_id else None
    )


async def list_revisions(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int
) -> list[MessageRevision]:
    access = await access_room_by_id(
        session, actor.account.id, actor.grants, room_id, need="moderate"
    )
    message = await access_message_by_seq(session, access, seq)
    statement = (
        select(MessageRevision)
        .where(MessageRevision.message_id == message.id)
        .order_by(col(MessageRevision.replaced_at))
    )
    return list((await session.exec(statement)).all())


@dataclass(frozen=True)
class MessageSnapshot:
    """A message as she can read it now, for a report's evidence."""

    room_id: uuid.UUID
    room_kind: RoomKind
    seq: int
    author_id: uuid.UUID | None
    author_pseudonym: str
    body: str
    written_at: datetime


async def snapshot_messages(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seqs: Sequence[int]
) -> list[MessageSnapshot]:
    """Messages of a room she reads, as they are now; NotFound for any she cannot reach."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    found: list[MessageSnapshot] = []
    for seq in dict.fromkeys(seqs):
        message = await access_message_by_seq(session, access, seq)
        if message.deleted_at is not None:
            raise Conflict("This message is deleted already.", code="message_deleted")
        names = await pseudonyms(session, [message.author_id])
        found.append(
            MessageSnapshot(
                room_id=room_id,
                room_kind=access.kind,
                seq=message.seq,
                author_id=message.author_id,
                author_pseudonym=names.get(message.author_id, "") if message.author_id else "",
                body=message.body,
                written_at=message.created_at,
            )
        )
    return found


async def room_exists_for(session: AsyncSession, actor: Actor, room_id: uuid.UUID) -> Room:
    """A room she can see (to report it); NotFound otherwise."""
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    return access.room


async def mark_read(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, seq: int
) -> RoomPublic:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    member = access.member
    if member is None or member.state != MemberState.ACTIVE:
        raise NotFound()
    target = min(seq, access.room.last_seq)
    if target > member.last_read_seq:
        member.last_read_seq = target
        session.add(member)
        await session.flush()
    return room_public(access.room, member)
