from backend.room.models import NotifyLevel, Room, RoomMember, RoomMessage
from backend.room.schemas import AuthorPublic, MessagePublic, RoomPublic


def message_public(
    message: RoomMessage, pseudonym: str | None, *, collapsed: bool = False
) -> MessagePublic:
    deleted = message.deleted_at is not None
    return MessagePublic(
        id=message.id,
        room_id=message.room_id,
        seq=message.seq,
        kind=message.kind,
        author=(
            AuthorPublic(id=message.author_id, pseudonym=pseudonym or "")
            if message.author_id is not None
            else None
        ),
        body="" if deleted else message.body,
        reply_to=message.reply_to_seq,
        created_at=message.created_at,
        edited_at=message.edited_at,
        deleted=deleted,
        deleted_by_moderator=deleted and message.deleted_by not in (None, message.author_id),
        delete_reason=message.delete_reason,
        content_warning=None if deleted else message.content_warning,
        collapsed=collapsed,
    )


def room_public(room: Room, member: RoomMember | None, unread: int = 0) -> RoomPublic:
    return RoomPublic(
        id=room.id,
        kind=room.kind,
        name=room.name,
        topic=room.topic,
        created_at=room.created_at,
        is_open=room.opened_at is not None,
        last_seq=room.last_seq,
        my_role=member.role if member else None,
        my_state=member.state if member else None,
        last_read_seq=member.last_read_seq if member else 0,
        unread=unread,
        muted_until=member.muted_until if member else None,
        notify_level=member.notify_level if member else NotifyLevel.ALL,
    )
