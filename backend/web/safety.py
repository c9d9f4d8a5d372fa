"""Reporting a message or a person, following one's reports, and what safeguarding decided
about her. Officers' pages come later in this module's life; the API has them."""

import math
import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import (
    Actor,
    AuthServicesDep,
    SelfActor,
    clear_session_cookie,
    require,
)
from backend.core.config import Settings
from backend.core.db import Database
from backend.core.dependencies import AppSettings, ClientKey, DbSession, get_database
from backend.core.errors import Forbidden, NotFound, TandemError
from backend.core.time import utc_now
from backend.identity import service as identity_service
from backend.identity.dependencies import Unsealer, VaultDep
from backend.identity.schemas import DecisionIn as UnsealDecisionIn
from backend.identity.schemas import ReviewIn, UnsealRequestIn
from backend.privacy import service as privacy_service
from backend.room import messages as room_messages
from backend.room.access import access_room_by_id
from backend.safeguarding import cases as case_service
from backend.safeguarding import decisions as decision_service
from backend.safeguarding import reports as report_service
from backend.safeguarding import restrictions as restriction_service
from backend.safeguarding import trust
from backend.safeguarding.schemas import (
    EFFECT_MEANING,
    AppealDecisionIn,
    AppealIn,
    DecisionIn,
    DuressIn,
    LiftIn,
    NoteIn,
    ReportIn,
    RestrictIn,
)
from backend.web.dependencies import FormData
from backend.web.forms import message_only, submit, validated
from backend.web.render import N_, page, see_other
from moderation import cases as case_rules
from moderation import restrictions as restriction_effects
from moderation.cases import CaseStatus, Decision
from moderation.reports import ReportKind
from moderation.restrictions import INTERIM, SETTABLE
from moderation.trust import EdgeKind

router = APIRouter(include_in_schema=False)
Officer = Annotated[Actor, Depends(require(Capability.SAFETY_REVIEW))]
DatabaseDep = Annotated[Database, Depends(get_database)]
NOT_NOW = "This is not available right now."

# What each kind of report means, in plain words (the codes are moderation's).
REPORT_KINDS = {
    ReportKind.HARASSMENT: N_("Someone is unkind, threatening or will not leave me alone"),
    ReportKind.INFILTRATION: N_("I think this person is not who she says she is"),
    ReportKind.RECRUITMENT: N_("Someone is offering work, travel, money or a place to stay"),
    ReportKind.DOXXING: N_("Someone shares where a person lives or who she really is"),
    ReportKind.SELF_HARM: N_("I am worried someone may hurt herself"),
    ReportKind.SPAM: N_("Advertising or messages that do not belong here"),
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
        names = await room_messages.pseudonyms(session, [account])
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

    async def file() -> Response:
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
        await report_service.file_report(
            session,
            actor,
            kind=body.kind,
            target=report_service.ReportTarget(
                kind=body.target.kind,
                account_id=body.target.account_id,
                room_id=body.target.room_id,
                seq=body.target.seq,
            ),
            description=body.description,
            immediate_danger=body.immediate_danger,
        )
        return see_other(f"/rooms/{room}?reported=1" if room else "/account?reported=1")

    async def report_page(**shown: Any) -> Response:
        return await _report_page(
            request,
            actor,
            session,
            room=uuid.UUID(room) if room else None,
            seq=int(seq) if seq and seq.isdigit() else None,
            account=uuid.UUID(account) if account else None,
            **shown,
        )

    return await submit(session, file, report_page)


# ---------------------------------------------------------------- about her


def _under_duress(actor: Actor) -> bool:
    return actor.session.duress


async def my_safety(session: DbSession, actor: Actor) -> dict[str, Any]:
    """What the account page shows of safety, with the API's duress rules: under a duress
    login nothing about restrictions, decisions or the duress password is shown."""
    duress = _under_duress(actor)
    me = actor.account.id
    requests, names = await identity_service.list_unsealings_of(session, me)
    disclosures, readers = await identity_service.list_disclosures_of(session, me)
    openings = sorted(
        [
            (r.created_at, names.get(r.requested_by, ""), r.reason, r.status == "emergency")
            for r in requests
        ]
        + [(d.read_at, readers.get(d.read_by, ""), d.reason, False) for d in disclosures],
        reverse=True,
    )
    return {
        "my_reports": await report_service.list_my_reports(session, me),
        "restrictions": [] if duress else await restriction_service.my_restrictions(session, me),
        "decisions": [] if duress else await decision_service.decisions_about_me(session, me),
        "duress_set": False if duress else await auth_service.has_duress_password(session, me),
        "openings": openings,
        "effect_meaning": dict(EFFECT_MEANING),
    }


@router.post("/account/duress-password")
async def set_duress(
    request: Request,
    actor: SelfActor,
    session: DbSession,
    services: AuthServicesDep,
    form: FormData,
) -> Response:
    """Set, change or remove the duress password (as PUT /api/me/duress-password)."""
    if _under_duress(actor):
        raise Forbidden(NOT_NOW)

    async def save() -> Response:
        body = validated(
            DuressIn,
            current_password=form.get("current_password"),
            duress_password=None if form.get("remove") == "yes" else form.get("duress_password"),
        )
        await auth_service.set_duress_password(
            session,
            services,
            account_id=actor.account.id,
            current_password=body.current_password,
            duress_password=body.duress_password,
        )
        return see_other("/account?saved=1#duress")

    return await submit(session, save, back_to_account)


def back_to_account(*, error: str, fields: dict[str, str], **_status: int) -> Response:
    """The account page's safety forms, refused: back to the page, the first message in its
    address (the page is long; the redirect lands on the safety part)."""
    message = next(iter(fields.values()), error)
    return see_other(f"/account?problem={quote(message)}#safety")


@router.post("/account/appeals/{case_id}")
async def appeal(
    case_id: uuid.UUID, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    if _under_duress(actor):
        raise Forbidden(NOT_NOW)

    async def file() -> Response:
        body = validated(AppealIn, statement=form.text("statement"))
        await decision_service.file_appeal(session, actor, case_id, statement=body.statement)
        return see_other("/account?saved=1#decisions")

    return await submit(session, file, back_to_account)


@router.post("/account/erase")
async def erase(
    actor: SelfActor,
    database: DatabaseDep,
    services: AuthServicesDep,
    client: ClientKey,
    form: FormData,
) -> Response:
    """Erase her account for good, as POST /api/me/erase: her password asked again; under a
    duress login it only looks done."""
    if form.get("confirm") != "yes":
        return see_other("/account?problem=" + quote("Tick the box to confirm.") + "#erase")
    response = see_other("/erased")
    clear_session_cookie(response)
    if actor.session.duress:
        async with database.session() as session:
            await privacy_service.refuse_erasure_under_duress(session, actor.session.id)
        return response
    try:
        async with database.session() as session:
            await auth_service.confirm_password(
                session,
                services,
                account_id=actor.account.id,
                password=form.get("password"),
                client_key=client,
            )
            await privacy_service.erase_account(session, actor.account.id)
    except TandemError as exc:
        # Its own transaction, already rolled back by the block: not forms.submit's.
        return back_to_account(error=exc.message, fields=exc.fields)
    await privacy_service.scrub_free_space(database)
    return response


@router.get("/erased", response_class=HTMLResponse)
async def erased(request: Request) -> Response:
    return page(request, "erased.html", actor=None, title=N_("Your account is erased"))


# ---------------------------------------------------------------- safeguarding officers


@router.get("/safety", response_class=HTMLResponse)
async def queue(
    request: Request, actor: Officer, session: DbSession, state: str = "open"
) -> Response:
    statuses = {
        "open": case_rules.OPEN_STATUSES,
        "decided": frozenset({CaseStatus.DECIDED}),
        "closed": frozenset({CaseStatus.CLOSED}),
    }.get(state, case_rules.OPEN_STATUSES)
    items = await case_service.triage_queue(session, actor, statuses=statuses)
    return page(
        request,
        "safety_queue.html",
        actor=actor,
        title=N_("Safety"),
        items=items,
        state=state,
        kinds=REPORT_KINDS,
        under_review=await trust.under_review(session, actor),
    )


@dataclass(frozen=True)
class CascadeView:
    """What applying the cascade would do, in names, and who this case already marked."""

    review: list[trust.TrustNode]
    cards: list[str]
    open_votes: int
    marked: list[str]
    # Seen from the same place as her: listed for a person to weigh, untouched by the cascade.
    same_place: list[trust.TrustNode]


async def _cascade_view(
    session: DbSession, actor: Actor, case_id: uuid.UUID, graph: trust.TrustGraph
) -> CascadeView:
    plan, votes = await trust.plan_cascade(session, actor, case_id)
    names = {n.account_id: n.pseudonym for n in graph.nodes}
    return CascadeView(
        review=[n for n in graph.nodes if n.account_id in plan.review],
        cards=sorted(
            names.get(a, "an erased member")
            for a in plan.admitted_with_help
            if isinstance(a, uuid.UUID)
        ),
        open_votes=len(votes),
        marked=[
            name
            for mark, name in await trust.under_review(session, actor)
            if mark.case_id == case_id
        ],
        same_place=[n for n in graph.nodes if n.account_id in plan.same_place],
    )


async def _case_page(
    request: Request, actor: Actor, session: DbSession, case_id: uuid.UUID, **extra: Any
) -> Response:
    found = await case_service.case_file(session, actor, case_id)
    graph = None
    cascade = None
    if found.case.target_account_id is not None:
        graph = await trust.trust_graph(session, actor, found.case.target_account_id)
        if found.case.infiltration_confirmed:
            cascade = await _cascade_view(session, actor, case_id, graph)
    return page(
        request,
        "safety_case.html",
        actor=actor,
        title=N_("Case"),
        found=found,
        case=found.case,
        graph=graph,
        drawing=draw_trust_graph(graph) if graph else None,
        effects=sorted(SETTABLE),
        interim=sorted(INTERIM),
        decisions=list(Decision),
        kinds=REPORT_KINDS,
        active_restrictions=[r for r in found.restrictions if r.lifted_at is None],
        parse_effects=lambda text: sorted(restriction_effects.parse(text)),
        edge_colours=EDGE_COLOURS,
        edge_words=EDGE_WORDS,
        effect_words=EFFECT_WORDS,
        names_by_id={n.account_id: n.pseudonym for n in graph.nodes} if graph else {},
        cascade=cascade,
        **{"applied": None, **extra},
    )


@router.get("/safety/cases/{case_id}", response_class=HTMLResponse)
async def case(
    request: Request,
    case_id: uuid.UUID,
    actor: Officer,
    session: DbSession,
    reviewed: int | None = None,
    revoked: int = 0,
    recounted: int = 0,
) -> Response:
    applied = (reviewed, revoked, recounted) if reviewed is not None else None
    return await _case_page(request, actor, session, case_id, applied=applied)


def _until(form: FormData) -> datetime | None:
    days = form.get("days")
    return utc_now() + timedelta(days=int(days)) if days and days.isdigit() else None


@router.post("/safety/cases/{case_id}/restrictions")
async def restrict(
    request: Request, case_id: uuid.UUID, actor: Officer, session: DbSession, form: FormData
) -> Response:
    """An interim restriction at once, while the case is examined."""

    async def restrict() -> Response:
        body = validated(
            RestrictIn,
            effects=form.all("effects"),
            reason=form.text("reason"),
            expires_at=_until(form),
        )
        await restriction_service.restrict_for_case(
            session,
            actor,
            case_id,
            effects=frozenset(body.effects),
            reason=body.reason,
            expires_at=body.expires_at,
        )
        return see_other(f"/safety/cases/{case_id}?saved=1")

    return await submit(session, restrict, partial(_case_page, request, actor, session, case_id))


@router.post("/safety/restrictions/{restriction_id}/lift")
async def lift(
    restriction_id: uuid.UUID, actor: Officer, session: DbSession, form: FormData
) -> Response:
    body = validated(LiftIn, reason=form.text("reason"))
    row = await restriction_service.lift_restriction(
        session, actor, restriction_id, reason=body.reason
    )
    return see_other(f"/safety/cases/{row.case_id}?saved=1" if row.case_id else "/safety")


@router.post("/safety/cases/{case_id}/notes")
async def add_note(
    request: Request, case_id: uuid.UUID, actor: Officer, session: DbSession, form: FormData
) -> Response:
    async def note() -> Response:
        body = validated(NoteIn, body=form.text("body"))
        await case_service.add_note(session, actor, case_id, body=body.body)
        return see_other(f"/safety/cases/{case_id}#notes")

    return await submit(
        session, note, partial(_case_page, request, actor, session, case_id), shown=message_only
    )


@router.post("/safety/cases/{case_id}/decision")
async def decide(
    request: Request, case_id: uuid.UUID, actor: Officer, session: DbSession, form: FormData
) -> Response:
    async def decide() -> Response:
        body = validated(
            DecisionIn,
            decision=form.get("decision") or None,
            reason=form.text("reason"),
            effects=form.all("effects"),
            expires_at=_until(form),
            infiltration_confirmed=form.get("infiltration_confirmed") == "yes",
        )
        await decision_service.decide_case(
            session,
            actor,
            case_id,
            decision=body.decision,
            reason=body.reason,
            effects=frozenset(body.effects),
            expires_at=body.expires_at,
            infiltration_confirmed=body.infiltration_confirmed,
        )
        return see_other(f"/safety/cases/{case_id}?saved=1")

    return await submit(session, decide, partial(_case_page, request, actor, session, case_id))


@router.post("/safety/cases/{case_id}/cascade")
async def apply_cascade(
    request: Request, case_id: uuid.UUID, actor: Officer, session: DbSession, form: FormData
) -> Response:
    """The API's cascade, once she ticked that she read the list: revoking cards and voiding
    ballots cannot be undone from here."""
    if form.get("confirm") != "yes":
        return await _case_page(
            request,
            actor,
            session,
            case_id,
            status_code=422,
            error="Some fields need attention.",
            fields={"confirm": "Tick the box to confirm you read the list."},
        )

    async def cascade() -> Response:
        done = await trust.apply_cascade(session, actor, case_id)
        counts = (
            len(done.marked_for_review),
            len(done.cards_revoked_for),
            len(done.votes_recounted),
        )
        return see_other(
            f"/safety/cases/{case_id}?reviewed={counts[0]}&revoked={counts[1]}"
            f"&recounted={counts[2]}#cascade"
        )

    return await submit(
        session, cascade, partial(_case_page, request, actor, session, case_id), shown=message_only
    )


@router.post("/safety/cases/{case_id}/appeal-decision")
async def decide_appeal(
    request: Request, case_id: uuid.UUID, actor: Officer, session: DbSession, form: FormData
) -> Response:
    async def decide() -> Response:
        body = validated(
            AppealDecisionIn, outcome=form.get("outcome") or None, reason=form.text("reason")
        )
        await decision_service.decide_appeal(
            session, actor, case_id, outcome=body.outcome, reason=body.reason
        )
        return see_other(f"/safety/cases/{case_id}?saved=1")

    return await submit(
        session, decide, partial(_case_page, request, actor, session, case_id), shown=message_only
    )


# ---------------------------------------------------------------- the trust graph, drawn

EDGE_COLOURS = {
    EdgeKind.REFERRED: "#1f4e52",
    EdgeKind.VOUCHED: "#6a3d9a",
    EdgeKind.INTERVIEWED: "#b35900",
    EdgeKind.VOTED: "#555555",
    EdgeKind.MENTORED: "#1b5e20",
    EdgeKind.SAME_PLACE: "#c2185b",
}
EDGE_WORDS = {
    EdgeKind.REFERRED: N_("referred"),
    EdgeKind.VOUCHED: N_("vouched for"),
    EdgeKind.INTERVIEWED: N_("interviewed"),
    EdgeKind.VOTED: N_("voted on"),
    EdgeKind.MENTORED: N_("mentored"),
    EdgeKind.SAME_PLACE: N_("registered or signed in from the same place as"),
}


# Stored values and the API's sentences the pages translate when they show them.
SAFETY_WORDS = (
    N_("no_action"),
    N_("warning"),
    N_("restriction"),
    N_("suspension"),
    N_("expulsion"),
    N_("open"),
    N_("assigned"),
    N_("decided"),
    N_("appealed"),
    N_("You can read your rooms but not write in them for now."),
    N_("Other members do not see you in room member lists for now."),
    N_("Private conversations are paused for now."),
    N_("You cannot open your rooms for now."),
    N_("You cannot refer, vouch, vote, interview or mentor for now."),
    N_("Your active-member card was revoked."),
)

IDENTITY_LABELS = {
    "legal_name": N_("Legal name"),
    "date_of_birth": N_("Date of birth"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "address": N_("Address"),
    "notes": N_("Notes"),
}

EFFECT_WORDS = {
    "read_only": N_("read only: reads her rooms, writes nothing"),
    "hidden": N_("hidden from member lists"),
    "direct_messages_frozen": N_("private conversations paused"),
    "removed_from_rooms": N_("out of every room"),
    "no_trust_actions": N_("no referring, vouching, voting, interviewing or mentoring"),
    "card_revoked": N_("card revoked"),
}


@dataclass(frozen=True)
class Drawing:
    size: int
    nodes: list[tuple[float, float, str, str, bool]]
    edges: list[tuple[float, float, float, float, str, str]]


def draw_trust_graph(graph: trust.TrustGraph) -> Drawing:
    """Rings around her: one step out, then two. Positions only; the template draws."""
    size = 360
    middle = size / 2
    rings: dict[int, list[trust.TrustNode]] = {}
    for node in graph.nodes:
        rings.setdefault(node.distance, []).append(node)
    places: dict[Hashable, tuple[float, float]] = {}
    for distance, ring in rings.items():
        radius = 0 if distance == 0 else min(70 * distance, middle - 40)
        for index, node in enumerate(sorted(ring, key=lambda n: n.pseudonym)):
            angle = 2 * math.pi * index / max(len(ring), 1) - math.pi / 2 + distance * 0.4
            places[node.account_id] = (
                round(middle + radius * math.cos(angle), 1),
                round(middle + radius * math.sin(angle), 1),
            )
    edges = [
        (*places[e.source], *places[e.target], EDGE_COLOURS.get(e.kind, "#555"), str(e.kind))
        for e in graph.edges
        if e.source in places and e.target in places
    ]
    nodes = [
        (*places[n.account_id], n.pseudonym, n.status, n.account_id == graph.center)
        for n in graph.nodes
        if n.account_id in places
    ]
    return Drawing(size=size, nodes=nodes, edges=edges)


# ---------------------------------------------------------------- unsealing an identity


async def _unseal_page(
    request: Request, actor: Actor, session: DbSession, settings: Settings, **extra: Any
) -> Response:
    requests, names = await identity_service.list_unseal_requests(
        session, status=None, needs_review=False
    )
    window = timedelta(hours=settings.unseal_window_hours)
    return page(
        request,
        "unseal.html",
        actor=actor,
        title=N_("Sealed details"),
        requests=[(r, identity_service.open_until(r, window)) for r in requests],
        names=names,
        now=utc_now(),
        **extra,
    )


@router.get("/safety/unseal", response_class=HTMLResponse)
async def unseal_requests(
    request: Request, actor: Unsealer, session: DbSession, settings: AppSettings
) -> Response:
    return await _unseal_page(request, actor, session, settings)


@router.post("/safety/unseal")
async def request_unseal(
    request: Request, actor: Unsealer, session: DbSession, settings: AppSettings, form: FormData
) -> Response:
    async def ask() -> Response:
        body = validated(
            UnsealRequestIn,
            account_id=form.get("account_id") or None,
            reason=form.get("reason"),
            emergency=form.get("emergency") == "yes",
        )
        await identity_service.request_unseal(
            session,
            officer_id=actor.account.id,
            account_id=body.account_id,
            reason=body.reason,
            emergency=body.emergency,
        )
        return see_other("/safety/unseal?saved=1")

    return await submit(session, ask, partial(_unseal_page, request, actor, session, settings))


@router.post("/safety/unseal/{request_id}/open", response_class=HTMLResponse)
async def open_identity(
    request: Request,
    request_id: uuid.UUID,
    actor: Unsealer,
    session: DbSession,
    vault: VaultDep,
    settings: AppSettings,
    _f: FormData,
) -> Response:
    """The identity, for the officer who asked, once approved; logged, never cached."""
    fields, updated_at, account_id = await identity_service.open_identity(
        session,
        vault,
        officer_id=actor.account.id,
        request_id=request_id,
        window=timedelta(hours=settings.unseal_window_hours),
    )
    names = await identity_service.pseudonyms_of(session, {account_id})
    return page(
        request,
        "identity.html",
        actor=actor,
        title=N_("Sealed details"),
        fields=fields,
        labels=IDENTITY_LABELS,
        updated_at=updated_at,
        pseudonym=names.get(account_id, ""),
    )


@router.post("/safety/unseal/{request_id}/{answer}")
async def decide_unseal(
    request: Request,
    request_id: uuid.UUID,
    answer: str,
    actor: Unsealer,
    session: DbSession,
    settings: AppSettings,
    form: FormData,
) -> Response:
    """Approve or decline (a second officer), or review a break-glass opening."""

    async def decide() -> Response:
        if answer in ("approve", "decline"):
            body = validated(UnsealDecisionIn, note=form.text("note") or None)
            await identity_service.decide_unseal(
                session,
                officer_id=actor.account.id,
                request_id=request_id,
                approve=answer == "approve",
                note=body.note,
            )
        elif answer == "review":
            review = validated(ReviewIn, note=form.text("note"))
            await identity_service.review_emergency(
                session, officer_id=actor.account.id, request_id=request_id, note=review.note
            )
        else:
            raise NotFound()
        return see_other("/safety/unseal?saved=1")

    return await submit(
        session,
        decide,
        partial(_unseal_page, request, actor, session, settings),
        shown=message_only,
    )
