"""Pages anyone meets: home, sign-in, registration, quick exit, language, account, card check.

Every page calls the same service functions as the JSON API behind the same capability
dependencies; it only answers with HTML and reads forms instead of JSON.
"""

import uuid
import zoneinfo
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth import places
from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import (
    Actor,
    AuthServicesDep,
    SelfActor,
    clear_session_cookie,
    set_session_cookie,
)
from backend.auth.models import PlaceKind
from backend.auth.schemas import LoginIn, PreferencesIn, RegisterIn
from backend.core.dependencies import (
    AppSettings,
    ClientKey,
    ClientOrigin,
    DbSession,
    WriteDbSession,
)
from backend.core.errors import InvalidInput, NotFound
from backend.core.time import utc_now
from backend.membership import agreements as agreement_service
from backend.membership import cards as card_service
from backend.membership import referrals as referral_service
from backend.membership import status as status_service
from backend.membership import views as membership_views
from backend.membership.dependencies import CardSignerDep
from backend.membership.models import NextStep as MembershipNextStep
from backend.membership.schemas import JoinIn, ProfileIn, VerifyIn
from backend.notification import service as notification_service
from backend.peerwork import views as peerwork_views
from backend.room import group_sessions as room_group_sessions
from backend.room import rooms as room_rooms
from backend.room.models import RoomKind
from backend.safety import service as safety_service
from backend.web.dependencies import FormData, OptionalActor
from backend.web.forms import chosen, message_only, safe_next, submit, validated
from backend.web.i18n import LANGUAGE_COOKIE, LANGUAGE_NAMES
from backend.web.render import N_, NO_STORE, page, page_policy, see_other
from backend.web.safety import my_safety

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- home


async def upcoming_sessions(session: DbSession, actor: Actor) -> list[tuple[str, object]]:
    """Support-group sessions to come in her rooms, soonest first, with the room's name."""
    found: list[tuple[str, object]] = []
    for room in await room_rooms.list_my_rooms(session, actor):
        if room.kind is not RoomKind.SUPPORT_GROUP or room.my_state != "active":
            continue
        for row in await room_group_sessions.list_group_sessions(
            session, actor, room.id, upcoming=True
        ):
            found.append((room.name, row))
    found.sort(key=lambda pair: pair[1].starts_at)  # type: ignore[attr-defined]
    return found


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, actor: OptionalActor, session: DbSession) -> Response:
    if actor is None:
        return page(request, "sign_in.html", actor=None, title=N_("Sign in"), next="/")
    membership = await status_service.load_membership(session, actor.account.id)
    status = membership.status
    must_sign = await agreement_service.unsigned_kinds(session, actor.account.id, status)
    rooms = await room_rooms.list_my_rooms(session, actor)
    votes = await membership_views.votes_waiting_for_her(
        session, actor_id=actor.account.id, grants=actor.grants
    )
    shifts = []
    if actor.can(Capability.PEERWORK_WORK):
        mine = await peerwork_views.visible_shifts(
            session, actor.account.id, actor.grants, since=utc_now()
        )
        shifts = mine[:3]
    return page(
        request,
        "home.html",
        actor=actor,
        title=N_("Home"),
        status=status,
        must_sign=must_sign,
        rooms=rooms,
        sessions=(await upcoming_sessions(session, actor))[:5],
        votes=votes,
        shifts=shifts,
        notices=await notification_service.unread_count(session, actor.account.id),
        # Staff hold roles and are not on the membership path.
        needs_vouch=not actor.role_grants
        and MembershipNextStep.BE_VOUCHED in await status_service.next_steps(session, membership),
    )


# ---------------------------------------------------------------- sign-in and registration


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, actor: OptionalActor, next: str = "/") -> Response:
    if actor is not None:
        return see_other(safe_next(next))
    return page(request, "sign_in.html", actor=None, title=N_("Sign in"), next=safe_next(next))


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    form: FormData,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
    origin: ClientOrigin,
) -> Response:
    target = safe_next(form.get("next"))

    async def log_in() -> Response:
        body = validated(LoginIn, pseudonym=form.text("pseudonym"), password=form.get("password"))
        account, issued = await auth_service.log_in(
            session, services, pseudonym=body.pseudonym, password=body.password, client_key=client
        )
        await places.record_place(
            session,
            services.secret,
            account_id=account.id,
            kind=PlaceKind.SIGNED_IN,
            origin=origin,
        )
        response = see_other(target)
        set_session_cookie(request, response, issued)
        response.set_cookie(LANGUAGE_COOKIE, account.language, max_age=365 * 86400, samesite="lax")
        return response

    return await submit(
        session,
        log_in,
        partial(
            page,
            request,
            "sign_in.html",
            actor=None,
            title=N_("Sign in"),
            next=target,
            pseudonym=form.text("pseudonym"),
        ),
    )


@router.get("/register", response_class=HTMLResponse)
async def register_page(request: Request, code: str = "") -> Response:
    return page(request, "register.html", actor=None, title=N_("Join"), code=code)


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request,
    form: FormData,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
    origin: ClientOrigin,
) -> Response:
    language = form.get("language") or request.cookies.get(LANGUAGE_COOKIE) or "en"
    code = form.text("invitation_code")

    async def join() -> Response:
        if code:
            joined = validated(
                JoinIn,
                pseudonym=form.text("pseudonym"),
                password=form.get("password"),
                invitation_code=code,
                language=language,
            )
            account, codes = await referral_service.join_with_invitation(
                session,
                services,
                pseudonym=joined.pseudonym,
                password=joined.password,
                language=joined.language,
                code=joined.invitation_code,
                client_key=client,
            )
        else:
            body = validated(
                RegisterIn,
                pseudonym=form.text("pseudonym"),
                password=form.get("password"),
                language=language,
            )
            account, codes = await auth_service.register_account(
                session,
                services,
                pseudonym=body.pseudonym,
                password=body.password,
                language=body.language,
                client_key=client,
            )
        await places.record_place(
            session,
            services.secret,
            account_id=account.id,
            kind=PlaceKind.REGISTERED,
            origin=origin,
        )
        issued = await auth_service.open_session(session, services, account)
        # The codes are shown on this answer only; it is never stored by the browser.
        response = page(
            request,
            "recovery_codes.html",
            actor=None,
            title=N_("Keep these codes safe"),
            codes=codes,
            pseudonym=account.pseudonym,
        )
        set_session_cookie(request, response, issued)
        return response

    return await submit(
        session,
        join,
        partial(
            page,
            request,
            "register.html",
            actor=None,
            title=N_("Join"),
            pseudonym=form.text("pseudonym"),
            code=code,
        ),
    )


@router.post("/sign-out")
async def sign_out(actor: SelfActor, session: DbSession, _form: FormData) -> Response:
    await auth_service.revoke_session(session, actor.session)
    response = see_other("/sign-in")
    clear_session_cookie(response)
    return response


# ---------------------------------------------------------------- quick exit


@router.post("/exit")
async def quick_exit(
    request: Request, actor: OptionalActor, session: DbSession, settings: AppSettings
) -> Response:
    """Ends the session and asks the browser to forget this site, then goes elsewhere.

    Works without JavaScript (a plain form); the script calls it in the background after
    blanking the page. It cannot erase the browser's history: the help text says so.
    """
    if actor is not None:
        await auth_service.revoke_session(session, actor.session)
    response = Response(
        status_code=303,
        headers={
            **NO_STORE,
            **page_policy(settings),
            "Location": settings.quick_exit_url,
            "Clear-Site-Data": '"cache", "cookies", "storage"',
        },
    )
    clear_session_cookie(response)
    return response


@router.get("/leaving-quickly", response_class=HTMLResponse)
async def quick_exit_help(request: Request, actor: OptionalActor) -> Response:
    return page(request, "quick_exit_help.html", actor=actor, title=N_("Leaving quickly"))


# ---------------------------------------------------------------- language and account


@router.post("/language")
async def choose_language(
    request: Request, actor: OptionalActor, session: DbSession, form: FormData
) -> Response:
    language = form.get("language")
    target = safe_next(form.get("next"))
    if language not in LANGUAGE_NAMES:
        return see_other(target)
    if actor is not None:
        await auth_service.update_preferences(session, actor.account.id, language=language)
    response = see_other(target)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


async def _account_page(
    request: Request,
    actor: Actor,
    session: DbSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    blocked = await safety_service.list_blocked(session, actor.account.id)
    membership = await status_service.load_membership(session, actor.account.id)
    return page(
        request,
        "account.html",
        profile={
            "languages": [code for code in membership.languages.split(",") if code],
            "city": membership.city,
            "region": membership.region,
        },
        actor=actor,
        title=N_("Account"),
        status_code=status_code,
        blocked=blocked,
        zones=sorted(zoneinfo.available_timezones()),
        error=error or request.query_params.get("problem"),
        fields=fields or {},
        notice=notice,
        **await my_safety(session, actor),
    )


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, actor: SelfActor, session: DbSession) -> Response:
    return await _account_page(request, actor, session)


@router.post("/account")
async def update_account(
    request: Request, actor: SelfActor, session: WriteDbSession, form: FormData
) -> Response:
    async def save() -> Response:
        body = validated(
            PreferencesIn,
            language=form.get("language") or None,
            time_zone=form.text("time_zone") or None,
        )
        await auth_service.update_preferences(
            session, actor.account.id, language=body.language, time_zone=body.time_zone
        )
        response = see_other("/account?saved=1")
        if body.language:
            response.set_cookie(LANGUAGE_COOKIE, body.language, max_age=365 * 86400, samesite="lax")
        return response

    return await submit(session, save, partial(_account_page, request, actor, session))


@router.post("/account/profile")
async def update_profile(
    request: Request, actor: SelfActor, session: WriteDbSession, form: FormData
) -> Response:
    """Her languages, town and region: what mentor matching may use, and who sees it."""

    async def save() -> Response:
        body = validated(
            ProfileIn,
            languages=form.all("languages"),
            city=form.text("city") or None,
            region=form.text("region") or None,
        )
        await status_service.set_profile(
            session,
            account_id=actor.account.id,
            languages=list(body.languages),
            city=body.city,
            region=body.region,
        )
        return see_other("/account?saved=1#profile")

    return await submit(session, save, partial(_account_page, request, actor, session))


@router.post("/blocks")
async def block(request: Request, actor: SelfActor, session: DbSession, form: FormData) -> Response:
    async def add_block() -> Response:
        blocked_id = chosen(form.get("account_id"), "Choose someone to block.")
        await safety_service.block_account(
            session, blocker_id=actor.account.id, blocked_id=blocked_id
        )
        return see_other(safe_next(form.get("next"), "/account"))

    # A missing choice shows her page again; the service's refusals (herself, nobody)
    # keep their error pages.
    return await submit(
        session,
        add_block,
        partial(_account_page, request, actor, session),
        shown=message_only,
        refused=(InvalidInput,),
    )


@router.post("/blocks/{account_id}/remove")
async def unblock(
    account_id: uuid.UUID, actor: SelfActor, session: DbSession, _form: FormData
) -> Response:
    await safety_service.unblock_account(
        session, blocker_id=actor.account.id, blocked_id=account_id
    )
    return see_other("/account")


# ---------------------------------------------------------------- public card check


@router.get("/verify", response_class=HTMLResponse)
async def verify_card(
    request: Request,
    actor: OptionalActor,
    session: DbSession,
    signer: CardSignerDep,
    code: Annotated[str, Query(max_length=4000)] = "",
) -> Response:
    """Anyone, without signing in: valid, expired, revoked or unknown, and nothing more."""
    code = code.strip()
    result = None
    if code:
        digits = "".join(ch for ch in code if ch.isalnum())
        body = (
            VerifyIn(number=code) if len(digits) == 12 and "." not in code else VerifyIn(token=code)
        )
        result = await card_service.verify_card(
            session, signer, token=body.token, number=body.number
        )
    return page(
        request, "verify.html", actor=actor, title=N_("Check a card"), code=code, result=result
    )


# ---------------------------------------------------------------- notifications


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(
    request: Request,
    actor: SelfActor,
    session: DbSession,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Her feed, newest first, in her language (as GET /api/notifications)."""
    me = actor.account.id
    items = await notification_service.list_feed(
        session, me, before_seq=before, limit=30, unread_only=False
    )
    reader = await notification_service.reader_of(session, me)
    return page(
        request,
        "notifications.html",
        actor=actor,
        title=N_("Notices"),
        items=[(i, notification_service.text_of(i, reader)) for i in items],
        unread=await notification_service.unread_count(session, me),
        head=await notification_service.head_of(session, me),
        older=items[-1].seq if len(items) == 30 else None,
    )


@router.post("/notifications/read-all")
async def read_all(actor: SelfActor, session: DbSession, form: FormData) -> Response:
    up_to = form.get("up_to")
    await notification_service.mark_all_read(
        session, actor.account.id, up_to_seq=int(up_to) if up_to.isdigit() else None
    )
    return see_other("/notifications")


# Where the notices' links lead, for pages that live under another address here.
NOTICE_LINKS = {
    "/mentoring": "/membership#mentoring",
    "/peerwork": "/work#invitations",
    "/peerwork/shifts": "/work",
    "/peerwork/timesheets": "/work",
    "/peerwork/debriefs/new": "/work",
    "/safety/my-reports": "/account#safety",
    "/safety/my-account": "/account#restrictions",
}
# Notices a coordinator also receives: her page is the organisation's.
STAFF_LINKS = frozenset({"/peerwork/swaps", "/peerwork/debriefs", "/peerwork/team"})


@router.get("/mentoring")
@router.get("/peerwork")
@router.get("/peerwork/{page}")
@router.get("/peerwork/debriefs/new")
@router.get("/safety/my-reports")
@router.get("/safety/my-account")
async def notice_link(request: Request, actor: SelfActor) -> Response:
    path = request.url.path
    if path in STAFF_LINKS:
        staff = actor.can(Capability.PEERWORK_SCHEDULE) or actor.can(Capability.PEERWORK_ONBOARD)
        return see_other("/coordination" if staff else "/work#swaps")
    if path not in NOTICE_LINKS:
        raise NotFound()
    return see_other(NOTICE_LINKS[path])
