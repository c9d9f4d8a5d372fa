"""Reporting a message or a person, following one's reports, and what safeguarding decided
about her. Officers' pages come later in this module's life; the API has them."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth.dependencies import Actor, SelfActor
from backend.core.dependencies import DbSession
from backend.core.errors import TandemError
from backend.room import service as room_service
from backend.room.access import access_room_by_id
from backend.safeguarding import service as safeguarding_service
from backend.safeguarding.schemas import ReportIn
from backend.web.dependencies import FormData
from backend.web.forms import validated
from backend.web.render import N_, page, see_other
from moderation.reports import ReportKind

router = APIRouter(include_in_schema=False)

# What each kind of report means, in plain words (the codes are moderation's).
REPORT_KINDS = {
    ReportKind.HARASSMENT.value: N_("Someone is unkind, threatening or will not leave me alone"),
    ReportKind.INFILTRATION.value: N_("I think this person is not who she says she is"),
    ReportKind.RECRUITMENT.value: N_("Someone is offering work, travel, money or a place to stay"),
    ReportKind.DOXXING.value: N_("Someone shares where a person lives or who she really is"),
    ReportKind.SELF_HARM.value: N_("I am worried someone may hurt herself"),
    ReportKind.SPAM.value: N_("Advertising or messages that do not belong here"),
}


async def _report_page(
    request: Request,
    actor: Actor,
    session: DbSession,
    *,
    room: uuid.UUID | None,
    seq: int | None,
    account: uuid.UUID | None,
    **extra: Any,
) -> Response:
    if room is not None:
        await access_room_by_id(session, actor.account.id, actor.grants, room)
    name = None
    if account is not None:
        names = await room_service.pseudonyms(session, [account])
        name = names.get(account)
    return page(
        request,
        "report.html",
        actor=actor,
        title=N_("Report"),
        room=room,
        seq=seq,
        account=account,
        name=name,
        kinds=REPORT_KINDS,
        **extra,
    )


@router.get("/report", response_class=HTMLResponse)
async def report_form(
    request: Request,
    actor: SelfActor,
    session: DbSession,
    room: uuid.UUID | None = None,
    seq: int | None = None,
    account: uuid.UUID | None = None,
) -> Response:
    return await _report_page(request, actor, session, room=room, seq=seq, account=account)


@router.post("/report")
async def file_report(
    request: Request, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    room = form.get("room") or None
    seq = form.get("seq") or None
    account = form.get("account") or None
    try:
        body = validated(
            ReportIn,
            kind=form.get("kind") or None,
            target={
                "kind": "message" if seq else "account",
                "account_id": account,
                "room_id": room,
                "seq": seq,
            },
            description=form.get("description"),
            immediate_danger=form.get("immediate_danger") == "yes",
        )
        await safeguarding_service.file_report(
            session,
            actor,
            kind=body.kind,
            target=safeguarding_service.ReportTarget(
                kind=body.target.kind,
                account_id=body.target.account_id,
                room_id=body.target.room_id,
                seq=body.target.seq,
            ),
            description=body.description,
            immediate_danger=body.immediate_danger,
        )
    except TandemError as exc:
        await session.rollback()
        return await _report_page(
            request,
            actor,
            session,
            room=uuid.UUID(room) if room else None,
            seq=int(seq) if seq and seq.isdigit() else None,
            account=uuid.UUID(account) if account else None,
            status_code=exc.status_code,
            error=exc.message,
            fields=exc.fields,
        )
    return see_other(f"/rooms/{room}?reported=1" if room else "/account?reported=1")
