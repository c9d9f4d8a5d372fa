"""What reaches her and when: notification kinds on or off, quiet hours, a pause.

The same service function as PUT /api/notifications/preferences; safety kinds are shown
as always on and cannot be sent as off (the service refuses them too).
"""

from datetime import datetime, time
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth.dependencies import Actor, SelfActor
from backend.core.dependencies import DbSession
from backend.core.errors import InvalidInput
from backend.core.time import utc_now
from backend.notification import service as notification_service
from backend.notification.catalogue import SAFETY_KINDS, Kind
from backend.web.dependencies import Form, FormData
from backend.web.forms import submit
from backend.web.i18n import zone
from backend.web.render import N_, page, see_other

router = APIRouter(include_in_schema=False)

# Each kind in plain words; the codes are the catalogue's.
KIND_WORDS = {
    Kind.APPLICATION_NEEDS_INTERVIEWERS: N_("An application needs interviewers"),
    Kind.INTERVIEWER_ASSIGNED: N_("You are asked to meet an applicant"),
    Kind.VOTE_OPENED: N_("A vote opens"),
    Kind.VOTE_REMINDER: N_("A reminder before a vote closes"),
    Kind.VOTE_OUTCOME: N_("The result of a vote"),
    Kind.MENTOR_ASSIGNED: N_("A mentor or a new mentee for you"),
    Kind.MENTOR_CHANGED: N_("A change of mentor"),
    Kind.MENTORING_ENDED: N_("A mentoring comes to an end"),
    Kind.CARD_ISSUED: N_("Your card is ready"),
    Kind.CARD_EXPIRING: N_("Your card expires soon"),
    Kind.CARD_REVOKED: N_("Your card is revoked"),
    Kind.ROOM_MENTION: N_("Someone names you in a room"),
    Kind.SESSION_TOMORROW: N_("A session tomorrow"),
    Kind.PEERWORK_INVITATION: N_("An invitation to work with an organisation"),
    Kind.ROSTER_PUBLISHED: N_("A new roster"),
    Kind.SHIFT_CHANGED: N_("A change to your shifts"),
    Kind.SHIFT_SWAP: N_("Shift swaps"),
    Kind.HOURS_REVIEWED: N_("Your hours are checked"),
    Kind.DEBRIEF_DUE: N_("A debrief to write"),
    Kind.TALK_REQUESTED: N_("Someone asks to talk after a shift"),
    Kind.TEAM_NOTICE: N_("Notices to your team"),
    Kind.REPORT_STATUS: N_("News about a report you made"),
    Kind.RESTRICTION_APPLIED: N_("Limits on your account"),
    Kind.RESTRICTION_LIFTED: N_("Limits lifted from your account"),
}


def _clock(value: str, field: str) -> int | None:
    if not value:
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "Some fields need attention.", fields={field: "Give a time such as 22:00."}
        ) from exc
    return parsed.hour * 60 + parsed.minute


def _pause(value: str, time_zone: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=zone(time_zone))
    except ValueError as exc:
        raise InvalidInput(
            "Some fields need attention.", fields={"paused_until": "Give a date and a time."}
        ) from exc


def _hhmm(minute: int | None) -> str:
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


async def _preferences_page(
    request: Request, actor: Actor, session: DbSession, **extra: Any
) -> Response:
    prefs = await notification_service.get_preferences(session, actor.account.id)
    tz = zone(actor.account.time_zone)
    paused = prefs.paused_until if prefs.paused_until and prefs.paused_until > utc_now() else None
    return page(
        request,
        "notification_preferences.html",
        actor=actor,
        title=N_("What reaches you"),
        kinds=[(k, KIND_WORDS[k], prefs.is_enabled(k), k in SAFETY_KINDS) for k in Kind],
        quiet_start=_hhmm(prefs.quiet_start_minute),
        quiet_end=_hhmm(prefs.quiet_end_minute),
        paused_until=paused,
        paused_value=paused.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if paused else "",
        quiet_now=prefs.is_quiet(utc_now(), actor.account.time_zone),
        **extra,
    )


@router.get("/notifications/preferences", response_class=HTMLResponse)
async def preferences(request: Request, actor: SelfActor, session: DbSession) -> Response:
    return await _preferences_page(request, actor, session)


def _disabled(form: Form) -> list[str]:
    """Kinds she can switch off and left unticked; safety kinds are never sent as off."""
    on = set(form.all("on"))
    return [k for k in Kind if k not in SAFETY_KINDS and k not in on]


@router.post("/notifications/preferences")
async def save_preferences(
    request: Request, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    async def save() -> Response:
        if form.get("resume") == "yes":
            current = await notification_service.get_preferences(session, actor.account.id)
            await notification_service.set_preferences(
                session,
                actor.account.id,
                disabled_kinds=sorted(current.disabled_kinds),
                quiet_start_minute=current.quiet_start_minute,
                quiet_end_minute=current.quiet_end_minute,
                paused_until=None,
            )
        else:
            await notification_service.set_preferences(
                session,
                actor.account.id,
                disabled_kinds=_disabled(form),
                quiet_start_minute=_clock(form.get("quiet_start"), "quiet_hours"),
                quiet_end_minute=_clock(form.get("quiet_end"), "quiet_hours"),
                paused_until=_pause(form.get("paused_until"), actor.account.time_zone),
            )
        return see_other("/notifications/preferences?saved=1")

    return await submit(session, save, partial(_preferences_page, request, actor, session))
