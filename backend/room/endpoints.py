import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from backend.auth import tickets
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, SelfActor, per_account, require
from backend.core.dependencies import AppSettings, DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.room import direct as room_direct
from backend.room import group_sessions as room_group_sessions
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.room import rules
from backend.room.models import GroupSession, RoomKind
from backend.room.schemas import (
    AttendancePublic,
    AttendanceSet,
    AuthorPublic,
    DirectCreate,
    FeedbackQuestionPublic,
    FeedbackQuestionsSet,
    FeedbackSubmit,
    FeedbackSummaryPublic,
    GroupSessionCreate,
    GroupSessionPublic,
    MemberAdd,
    MemberPublic,
    MemberRemoval,
    MessageCreate,
    MessageEdit,
    MessagePosted,
    MessagePublic,
    ModeratorRemoval,
    MuteCreate,
    NotifyLevelIn,
    ReadMarker,
    RevisionPublic,
    RoomCreate,
    RoomPublic,
    SeriesAttendancePublic,
    SeriesCreate,
    SeriesPublic,
    TicketOut,
)

router = APIRouter(tags=["rooms"], route_class=StrictJSONRoute)

SafetyReviewer = Annotated[Actor, Depends(require(Capability.SAFETY_REVIEW))]
RoomPath = "/rooms/{room_id}"


@router.post("/ws-tickets", status_code=status.HTTP_201_CREATED, response_model=TicketOut)
async def issue_ws_ticket(actor: SelfActor, session: DbSession, settings: AppSettings) -> TicketOut:
    """A single-use ticket, valid a few seconds, to open /ws?ticket=… without a cookie."""
    ticket, expires_at = await tickets.issue_ws_ticket(
        session, settings, actor.account.id, actor.session.id
    )
    return TicketOut(ticket=ticket, expires_at=expires_at)


@router.get("/rooms", response_model=list[RoomPublic])
async def my_rooms(actor: SelfActor, session: DbSession) -> list[RoomPublic]:
    """Rooms she belongs to (and direct conversations she is asked into), with unread counts."""
    return await room_rooms.list_my_rooms(session, actor)


@router.get("/rooms/joinable", response_model=list[RoomPublic])
async def joinable_rooms(actor: SelfActor, session: DbSession) -> list[RoomPublic]:
    return await room_rooms.list_joinable_rooms(session, actor)


@router.post("/rooms", status_code=status.HTTP_201_CREATED, response_model=RoomPublic)
async def create_room(body: RoomCreate, actor: SelfActor, session: DbSession) -> RoomPublic:
    room = await room_rooms.create_room(
        session, actor, kind=RoomKind(body.kind), name=body.name, topic=body.topic
    )
    return await room_rooms.get_room(session, actor, room.id)


@router.post(
    "/direct-conversations", status_code=status.HTTP_201_CREATED, response_model=RoomPublic
)
async def open_direct(body: DirectCreate, actor: SelfActor, session: DbSession) -> RoomPublic:
    """Ask someone she shares a room with; it opens when she accepts (at once for a mentor)."""
    room = await room_direct.open_direct_conversation(session, actor, other_id=body.account_id)
    return await room_rooms.get_room(session, actor, room.id)


@router.post(
    "/welcome-conversations", status_code=status.HTTP_201_CREATED, response_model=RoomPublic
)
async def open_welcome(body: DirectCreate, actor: SelfActor, session: DbSession) -> RoomPublic:
    """A facilitator opens a private conversation with a newcomer (open at once)."""
    room = await room_rooms.open_welcome_conversation(session, actor, newcomer_id=body.account_id)
    return await room_rooms.get_room(session, actor, room.id)


@router.get(RoomPath, response_model=RoomPublic)
async def get_room(room_id: uuid.UUID, actor: SelfActor, session: DbSession) -> RoomPublic:
    return await room_rooms.get_room(session, actor, room_id)


@router.post(RoomPath + "/join", response_model=RoomPublic)
async def join_room(room_id: uuid.UUID, actor: SelfActor, session: DbSession) -> RoomPublic:
    return await room_rooms.join_room(session, actor, room_id)


@router.post(RoomPath + "/leave", status_code=status.HTTP_204_NO_CONTENT)
async def leave_room(room_id: uuid.UUID, actor: SelfActor, session: DbSession) -> Response:
    await room_rooms.leave_room(session, actor, room_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(RoomPath + "/accept", response_model=RoomPublic)
async def accept_direct(room_id: uuid.UUID, actor: SelfActor, session: DbSession) -> RoomPublic:
    await room_direct.answer_direct_conversation(session, actor, room_id, accept=True)
    return await room_rooms.get_room(session, actor, room_id)


@router.post(RoomPath + "/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline_direct(room_id: uuid.UUID, actor: SelfActor, session: DbSession) -> Response:
    await room_direct.answer_direct_conversation(session, actor, room_id, accept=False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(RoomPath + "/members", response_model=list[MemberPublic])
async def list_members(
    room_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[MemberPublic]:
    rows = await room_rooms.list_members(session, actor, room_id)
    return [
        MemberPublic(account_id=m.account_id, pseudonym=p, role=m.role, state=m.state)
        for m, p in rows
    ]


@router.post(
    RoomPath + "/members", status_code=status.HTTP_201_CREATED, response_model=MemberPublic
)
async def add_member(
    room_id: uuid.UUID, body: MemberAdd, actor: SelfActor, session: DbSession
) -> MemberPublic:
    member = await room_rooms.add_member_as_moderator(
        session, actor, room_id, account_id=body.account_id, role=body.role
    )
    names = await room_messages.pseudonyms(session, [member.account_id])
    return MemberPublic(
        account_id=member.account_id,
        pseudonym=names[member.account_id],
        role=member.role,
        state=member.state,
    )


@router.post(RoomPath + "/removals", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    room_id: uuid.UUID, body: MemberRemoval, actor: SelfActor, session: DbSession
) -> Response:
    """A moderator removes a member; her open sockets stop receiving the room at once."""
    await room_rooms.remove_member(
        session, actor, room_id, account_id=body.account_id, reason=body.reason
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(RoomPath + "/mutes", response_model=MemberPublic)
async def mute_member(
    room_id: uuid.UUID, body: MuteCreate, actor: SelfActor, session: DbSession
) -> MemberPublic:
    member = await room_rooms.mute_member(
        session,
        actor,
        room_id,
        account_id=body.account_id,
        minutes=body.minutes,
        reason=body.reason,
    )
    names = await room_messages.pseudonyms(session, [member.account_id])
    return MemberPublic(
        account_id=member.account_id,
        pseudonym=names[member.account_id],
        role=member.role,
        state=member.state,
    )


@router.get(RoomPath + "/messages", response_model=list[MessagePublic])
async def list_messages(
    room_id: uuid.UUID,
    actor: SelfActor,
    session: DbSession,
    before: Annotated[int | None, Query(ge=1)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=room_messages.HISTORY_PAGE_MAX)] = 50,
) -> list[MessagePublic]:
    """History, oldest first: the latest page, the page ``before`` a seq, or ``after`` one."""
    return await room_messages.list_messages(
        session, actor, room_id, before=before, after=after, limit=limit
    )


@router.post(
    RoomPath + "/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessagePosted,
    dependencies=[Depends(per_account("messages"))],
)
async def post_message(
    room_id: uuid.UUID,
    body: MessageCreate,
    actor: SelfActor,
    session: DbSession,
    response: Response,
) -> MessagePosted:
    """Idempotent on ``client_id``: a resend answers 200 with the message stored the first time."""
    message, duplicate = await room_messages.post_message(
        session,
        actor,
        room_id,
        client_id=body.client_id,
        body=body.body,
        reply_to=body.reply_to,
        content_warning=body.content_warning,
    )
    if duplicate:
        response.status_code = status.HTTP_200_OK
    return MessagePosted(message=message, duplicate=duplicate)


@router.patch(RoomPath + "/messages/{seq}", response_model=MessagePublic)
async def edit_message(
    room_id: uuid.UUID, seq: int, body: MessageEdit, actor: SelfActor, session: DbSession
) -> MessagePublic:
    return await room_messages.edit_message(session, actor, room_id, seq, body=body.body)


@router.delete(RoomPath + "/messages/{seq}", response_model=MessagePublic)
async def delete_message(
    room_id: uuid.UUID, seq: int, actor: SelfActor, session: DbSession
) -> MessagePublic:
    return await room_messages.delete_own_message(session, actor, room_id, seq)


@router.post(RoomPath + "/messages/{seq}/removal", response_model=MessagePublic)
async def remove_message(
    room_id: uuid.UUID, seq: int, body: ModeratorRemoval, actor: SelfActor, session: DbSession
) -> MessagePublic:
    """A moderator deletes a message: a tombstone with the reason stays."""
    return await room_messages.remove_message_as_moderator(
        session, actor, room_id, seq, reason=body.reason
    )


@router.get(RoomPath + "/messages/{seq}/revisions", response_model=list[RevisionPublic])
async def message_revisions(
    room_id: uuid.UUID, seq: int, actor: SelfActor, session: DbSession
) -> list[RevisionPublic]:
    rows = await room_messages.list_revisions(session, actor, room_id, seq)
    return [RevisionPublic.model_validate(r) for r in rows]


@router.put(RoomPath + "/notify-level", response_model=RoomPublic)
async def set_notify_level(
    room_id: uuid.UUID, body: NotifyLevelIn, actor: SelfActor, session: DbSession
) -> RoomPublic:
    """What of this room reaches her notifications: mentions of her (all, mentions) or none."""
    return await room_messages.set_notify_level(session, actor, room_id, body.level)


@router.put(RoomPath + "/read-marker", response_model=RoomPublic)
async def mark_read(
    room_id: uuid.UUID, body: ReadMarker, actor: SelfActor, session: DbSession
) -> RoomPublic:
    return await room_messages.mark_read(session, actor, room_id, body.seq)


# Support-group sessions


async def _session_public(session: DbSession, rows: list[GroupSession]) -> list[GroupSessionPublic]:
    names = await room_messages.pseudonyms(session, [r.facilitator_id for r in rows])
    return [
        GroupSessionPublic(
            id=r.id,
            room_id=r.room_id,
            series_id=r.series_id,
            facilitator=(
                AuthorPublic(id=r.facilitator_id, pseudonym=names.get(r.facilitator_id, ""))
                if r.facilitator_id
                else None
            ),
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            topic=r.topic,
            language=r.language,
        )
        for r in rows
    ]


@router.get(RoomPath + "/sessions", response_model=list[GroupSessionPublic])
async def list_group_sessions(
    room_id: uuid.UUID, actor: SelfActor, session: DbSession, upcoming: bool = True
) -> list[GroupSessionPublic]:
    rows = await room_group_sessions.list_group_sessions(session, actor, room_id, upcoming=upcoming)
    return await _session_public(session, rows)


@router.post(
    RoomPath + "/sessions", status_code=status.HTTP_201_CREATED, response_model=GroupSessionPublic
)
async def schedule_session(
    room_id: uuid.UUID, body: GroupSessionCreate, actor: SelfActor, session: DbSession
) -> GroupSessionPublic:
    row = await room_group_sessions.schedule_session(session, actor, room_id, body)
    return (await _session_public(session, [row]))[0]


@router.post(RoomPath + "/series", status_code=status.HTTP_201_CREATED, response_model=SeriesPublic)
async def create_series(
    room_id: uuid.UUID, body: SeriesCreate, actor: SelfActor, session: DbSession
) -> SeriesPublic:
    """A workshop series of 4 to 6 sessions."""
    series, rows = await room_group_sessions.create_series(
        session, actor, room_id, title=body.title, sessions=body.sessions
    )
    return SeriesPublic(
        id=series.id,
        room_id=room_id,
        title=series.title,
        sessions=await _session_public(session, rows),
    )


@router.get(RoomPath + "/series/{series_id}/attendance", response_model=SeriesAttendancePublic)
async def series_attendance(
    room_id: uuid.UUID, series_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> SeriesAttendancePublic:
    series, sessions, attended = await room_group_sessions.series_attendance(
        session, actor, room_id, series_id
    )
    return SeriesAttendancePublic(series_id=series.id, sessions=len(sessions), attended=attended)


@router.put(RoomPath + "/sessions/{session_id}/attendance", response_model=AttendancePublic)
async def record_attendance(
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    body: AttendanceSet,
    actor: SelfActor,
    session: DbSession,
) -> AttendancePublic:
    rows = await room_group_sessions.record_attendance(
        session, actor, room_id, session_id, account_ids=body.account_ids
    )
    return AttendancePublic(
        session_id=session_id, attendees=[AuthorPublic(id=a, pseudonym=p) for a, p in rows]
    )


@router.get(RoomPath + "/sessions/{session_id}/attendance", response_model=AttendancePublic)
async def get_attendance(
    room_id: uuid.UUID, session_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> AttendancePublic:
    rows = await room_group_sessions.list_attendance(session, actor, room_id, session_id)
    return AttendancePublic(
        session_id=session_id, attendees=[AuthorPublic(id=a, pseudonym=p) for a, p in rows]
    )


@router.put(
    RoomPath + "/sessions/{session_id}/feedback-questions",
    response_model=list[FeedbackQuestionPublic],
)
async def set_feedback_questions(
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    body: FeedbackQuestionsSet,
    actor: SelfActor,
    session: DbSession,
) -> list[FeedbackQuestionPublic]:
    rows = await room_group_sessions.set_feedback_questions(
        session, actor, room_id, session_id, questions=body.questions
    )
    return [FeedbackQuestionPublic.model_validate(r) for r in rows]


@router.get(
    RoomPath + "/sessions/{session_id}/feedback-questions",
    response_model=list[FeedbackQuestionPublic],
)
async def feedback_questions(
    room_id: uuid.UUID, session_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> list[FeedbackQuestionPublic]:
    rows = await room_group_sessions.list_feedback_questions(session, actor, room_id, session_id)
    return [FeedbackQuestionPublic.model_validate(r) for r in rows]


@router.post(RoomPath + "/sessions/{session_id}/feedback", status_code=status.HTTP_204_NO_CONTENT)
async def submit_feedback(
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    body: FeedbackSubmit,
    actor: SelfActor,
    session: DbSession,
) -> Response:
    """Anonymous: the facilitator sees aggregates only, and only from three answers on."""
    await room_group_sessions.submit_feedback(
        session, actor, room_id, session_id, answers=body.answers
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(RoomPath + "/sessions/{session_id}/feedback", response_model=FeedbackSummaryPublic)
async def feedback_summary(
    room_id: uuid.UUID, session_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> FeedbackSummaryPublic:
    submissions, questions = await room_group_sessions.feedback_summary(
        session, actor, room_id, session_id
    )
    return FeedbackSummaryPublic(
        session_id=session_id,
        submissions=submissions,
        shown=submissions >= rules.MIN_FEEDBACK_RESPONSES,
        questions=questions,
    )
