"""Rooms and chat, support-group sessions, attendance and feedback, as pages.

Chat works as plain forms; frontend/assets/chat.js adds the live /ws protocol on top.
"""

import uuid
from datetime import date, datetime, time
from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, SelfActor
from backend.core.dependencies import DbSession, WriteDbSession
from backend.core.errors import Forbidden, InvalidInput, TandemError
from backend.core.time import utc_now
from backend.room import direct as room_direct
from backend.room import group_sessions as room_group_sessions
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.room import rules
from backend.room.access import access_room_by_id
from backend.room.models import RoomKind
from backend.room.schemas import GroupSessionCreate, MessageCreate, MessageEdit
from backend.web.dependencies import Form, FormData
from backend.web.endpoints import upcoming_sessions
from backend.web.forms import chosen, field_first, message_only, submit, validated
from backend.web.i18n import zone
from backend.web.render import N_, page, see_other

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50

# What the room service says when she edits or deletes her message, for the catalogs.
OWN_MESSAGE_WORDS = (
    N_("You cannot edit messages here now."),
    N_("Only the author edits a message."),
    N_("Only the author deletes her message."),
    N_("A message cannot be empty."),
    N_("A message is at most 4000 characters."),
)


@router.get("/rooms", response_class=HTMLResponse)
async def rooms(request: Request, actor: SelfActor, session: DbSession) -> Response:
    mine = await room_rooms.list_my_rooms(session, actor)
    joinable = [
        r
        for r in await room_rooms.list_joinable_rooms(session, actor)
        if r.id not in {m.id for m in mine if m.my_state == "active"}
    ]
    return page(
        request,
        "rooms.html",
        actor=actor,
        title=N_("Rooms"),
        mine=[r for r in mine if r.my_state == "active"],
        invited=[r for r in mine if r.my_state == "invited"],
        joinable=joinable,
    )


async def room_page(
    request: Request,
    actor: Actor,
    session: DbSession,
    room_id: uuid.UUID,
    *,
    before: int | None = None,
    status_code: int = 200,
    error: str | None = None,
    draft: str = "",
    draft_warning: str = "",
    fields: dict[str, str] | None = None,
    own_error: tuple[int, str, str] | None = None,
) -> Response:
    """``own_error``: (seq, message, text she typed) when editing or deleting her message
    was refused; shown on that message, its form open."""
    room = await room_rooms.get_room(session, actor, room_id)
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    messages = await room_messages.list_messages(
        session, actor, room_id, before=before, after=None, limit=PAGE_SIZE
    )
    members = await room_rooms.list_members(session, actor, room_id)
    sessions = []
    if room.kind is RoomKind.SUPPORT_GROUP:
        sessions = await room_group_sessions.list_group_sessions(
            session, actor, room_id, upcoming=True
        )
    if own_error is not None and not any(
        m.seq == own_error[0] and m.author and m.author.id == actor.account.id and not m.deleted
        for m in messages
    ):
        error = error or own_error[1]  # not one of hers on this page: said at the top
    refusal = rules.post_refusal(
        access.kind,
        access.view,
        actor.grants,
        is_open=access.room.opened_at is not None,
        now=utc_now(),
    )
    return page(
        request,
        "room.html",
        actor=actor,
        title=N_("Conversation"),
        status_code=status_code,
        room=room,
        messages=messages,
        earlier=messages[0].seq if messages and messages[0].seq > 1 else None,
        paged=before is not None,
        before=before,
        own_error=own_error,
        members=members,
        sessions=sessions,
        may_post=refusal is None,
        refusal=refusal,
        may_facilitate=rules.can_schedule_sessions(access.kind, access.view, actor.grants),
        client_id=uuid.uuid4().hex,
        error=error,
        fields=fields or {},
        draft=draft,
        draft_warning=draft_warning,
        max_chars=rules.MAX_MESSAGE_CHARS,
        may_warn=access.kind in rules.CONTENT_WARNING_KINDS,
        max_warning_chars=rules.MAX_CONTENT_WARNING_CHARS,
    )


@router.get("/rooms/{room_id}", response_class=HTMLResponse)
async def room(
    request: Request,
    room_id: uuid.UUID,
    actor: SelfActor,
    session: WriteDbSession,
    before: int | None = Query(default=None, ge=1),
) -> Response:
    """The conversation: the latest page (marked read) or an earlier one."""
    shown = await room_page(request, actor, session, room_id, before=before)
    if before is None:
        head = (await room_rooms.get_room(session, actor, room_id)).last_seq
        if head:
            await room_messages.mark_read(session, actor, room_id, head)
    return shown


@router.post("/rooms/{room_id}/messages")
async def post_message(
    request: Request, room_id: uuid.UUID, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    """Without JavaScript: the form's client_id makes a double submit one message."""

    async def post() -> Response:
        body = validated(
            MessageCreate,
            client_id=form.get("client_id") or uuid.uuid4().hex,
            body=form.get("body"),
            content_warning=form.get("content_warning") or None,
        )
        message, _duplicate = await room_messages.post_message(
            session,
            actor,
            room_id,
            client_id=body.client_id,
            body=body.body,
            reply_to=None,
            content_warning=body.content_warning,
        )
        return see_other(f"/rooms/{room_id}#m-{message.seq}")

    # The message box has no message of its own under it: what it says goes at the top,
    # her draft back in the box.
    return await submit(
        session,
        post,
        partial(
            room_page,
            request,
            actor,
            session,
            room_id,
            draft=form.get("body"),
            draft_warning=form.get("content_warning"),
        ),
        shown=field_first("body", keep=("content_warning",)),
    )


def _back_to(room_id: uuid.UUID, seq: int, before: int | None) -> str:
    page_of = f"?before={before}" if before else ""
    return f"/rooms/{room_id}{page_of}#m-{seq}"


def _page_before(form: Form) -> int | None:
    value = form.get("before")
    return int(value) if value.isdigit() and int(value) > 0 else None


@router.post("/rooms/{room_id}/messages/{seq}/edit")
async def edit_own_message(
    request: Request,
    room_id: uuid.UUID,
    seq: int,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    """Her own message, changed: the same checks as the API (author only, not while she
    may not write here). With JavaScript, the room's live frame shows the change."""
    before = _page_before(form)

    async def edit() -> Response:
        body = validated(MessageEdit, body=form.get("body"))
        await room_messages.edit_message(session, actor, room_id, seq, body=body.body)
        return see_other(_back_to(room_id, seq, before))

    def on_her_message(refusal: TandemError) -> dict[str, Any]:
        said = refusal.fields.get("body", refusal.message)
        return {"status_code": refusal.status_code, "own_error": (seq, said, form.get("body"))}

    return await submit(
        session,
        edit,
        partial(room_page, request, actor, session, room_id, before=before),
        shown=on_her_message,
        refused=(Forbidden, InvalidInput),
    )


@router.post("/rooms/{room_id}/messages/{seq}/delete")
async def delete_own_message(
    request: Request,
    room_id: uuid.UUID,
    seq: int,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    """Her own message, deleted: its words are gone, history included."""
    before = _page_before(form)

    async def delete() -> Response:
        await room_messages.delete_own_message(session, actor, room_id, seq)
        return see_other(_back_to(room_id, seq, before))

    def on_her_message(refusal: TandemError) -> dict[str, Any]:
        return {"status_code": refusal.status_code, "own_error": (seq, refusal.message, "")}

    return await submit(
        session,
        delete,
        partial(room_page, request, actor, session, room_id, before=before),
        shown=on_her_message,
        refused=(Forbidden,),
    )


@router.post("/rooms/{room_id}/join")
async def join(room_id: uuid.UUID, actor: SelfActor, session: DbSession, _f: FormData) -> Response:
    await room_rooms.join_room(session, actor, room_id)
    return see_other(f"/rooms/{room_id}")


@router.post("/rooms/{room_id}/leave")
async def leave(room_id: uuid.UUID, actor: SelfActor, session: DbSession, _f: FormData) -> Response:
    await room_rooms.leave_room(session, actor, room_id)
    return see_other("/rooms")


@router.post("/rooms/{room_id}/accept")
async def accept(
    room_id: uuid.UUID, actor: SelfActor, session: DbSession, _f: FormData
) -> Response:
    await room_direct.answer_direct_conversation(session, actor, room_id, accept=True)
    return see_other(f"/rooms/{room_id}")


@router.post("/rooms/{room_id}/decline")
async def decline(
    room_id: uuid.UUID, actor: SelfActor, session: DbSession, _f: FormData
) -> Response:
    await room_direct.answer_direct_conversation(session, actor, room_id, accept=False)
    return see_other("/rooms")


# ---------------------------------------------------------------- sessions


@router.get("/sessions", response_class=HTMLResponse)
async def sessions(request: Request, actor: SelfActor, session: DbSession) -> Response:
    return page(
        request,
        "sessions.html",
        actor=actor,
        title=N_("Sessions"),
        sessions=await upcoming_sessions(session, actor),
    )


def _local(day: str, clock: str, zone_name: str) -> datetime:
    """A date and a time typed in her time zone, as an aware datetime."""
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone(zone_name)
        )
    except ValueError as exc:
        raise InvalidInput(
            "Some fields need attention.", fields={"day": "Give a date and times."}
        ) from exc


async def _schedule_page(
    request: Request, actor: Actor, session: DbSession, room_id: uuid.UUID, **extra: Any
) -> Response:
    room = await room_rooms.get_room(session, actor, room_id)
    return page(
        request,
        "session_new.html",
        actor=actor,
        title=N_("Schedule a session"),
        room=room,
        **extra,
    )


@router.get("/rooms/{room_id}/sessions/new", response_class=HTMLResponse)
async def schedule_form(
    request: Request, room_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> Response:
    if not actor.can(Capability.ROOMS_FACILITATE):
        raise Forbidden("You do not have permission to do this.", code="missing_capability")
    return await _schedule_page(request, actor, session, room_id)


@router.post("/rooms/{room_id}/sessions")
async def schedule(
    request: Request, room_id: uuid.UUID, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    tz = actor.account.time_zone

    async def schedule() -> Response:
        body = validated(
            GroupSessionCreate,
            starts_at=_local(form.get("day"), form.get("starts"), tz),
            ends_at=_local(form.get("day"), form.get("ends"), tz),
            topic=form.text("topic"),
            language=form.get("language") or actor.account.language,
        )
        await room_group_sessions.schedule_session(session, actor, room_id, body)
        return see_other(f"/rooms/{room_id}?scheduled=1")

    return await submit(
        session,
        schedule,
        partial(_schedule_page, request, actor, session, room_id, values=dict(form.pairs)),
    )


async def _attendance_page(
    request: Request,
    actor: Actor,
    session: DbSession,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    **extra: Any,
) -> Response:
    room = await room_rooms.get_room(session, actor, room_id)
    present = {
        a for a, _ in await room_group_sessions.list_attendance(session, actor, room_id, session_id)
    }
    group_session = next(
        (
            s
            for s in await room_group_sessions.list_group_sessions(
                session, actor, room_id, upcoming=False
            )
            if s.id == session_id
        ),
        None,
    )
    members = [
        (m, p)
        for m, p in await room_rooms.list_members(session, actor, room_id)
        if m.account_id != actor.account.id
    ]
    submissions, questions = await room_group_sessions.feedback_summary(
        session, actor, room_id, session_id
    )
    return page(
        request,
        "attendance.html",
        actor=actor,
        title=N_("Attendance"),
        room=room,
        group_session=group_session,
        members=members,
        present=present,
        submissions=submissions,
        shown=submissions >= rules.MIN_FEEDBACK_RESPONSES,
        questions=questions,
        **extra,
    )


@router.get("/rooms/{room_id}/sessions/{session_id}", response_class=HTMLResponse)
async def attendance(
    request: Request,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    actor: SelfActor,
    session: DbSession,
) -> Response:
    """For the facilitator, on her phone during the session: who came, and the feedback.
    Anyone else (a notice's link) is taken to the room."""
    try:
        return await _attendance_page(request, actor, session, room_id, session_id)
    except Forbidden:
        return see_other(f"/rooms/{room_id}")


@router.post("/rooms/{room_id}/sessions/{session_id}/attendance")
async def record_attendance(
    request: Request,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    actor: SelfActor,
    session: DbSession,
    form: FormData,
) -> Response:
    async def record() -> Response:
        ids = [chosen(v, "Choose people from the list.") for v in form.all("present")]
        await room_group_sessions.record_attendance(
            session, actor, room_id, session_id, account_ids=ids
        )
        return see_other(f"/rooms/{room_id}/sessions/{session_id}?saved=1")

    return await submit(
        session,
        record,
        partial(_attendance_page, request, actor, session, room_id, session_id),
        shown=message_only,
    )
