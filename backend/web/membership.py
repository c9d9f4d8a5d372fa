"""Her path (agreements, application, mentor, card), referrals, and the Roots' work."""

import io
import uuid
from datetime import timedelta
from functools import partial
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, AuthServicesDep, SelfActor
from backend.auth.models import Account
from backend.core.dependencies import DbSession, WriteDbSession
from backend.core.errors import InvalidInput, NotFound
from backend.core.time import utc_now
from backend.identity.dependencies import VaultDep
from backend.membership import access as membership_access
from backend.membership import agreements as agreement_service
from backend.membership import applications as application_service
from backend.membership import cards as card_service
from backend.membership import referrals as referral_service
from backend.membership import settings as membership_settings
from backend.membership import status as status_service
from backend.membership import views as membership_views
from backend.membership import votes as vote_service
from backend.membership.dependencies import (
    AgreementEditor,
    Applicant,
    CardSignerDep,
    CloseContextDep,
    Interviewer,
    RootsCoordinator,
    RootsVoter,
    SettingsEditor,
    Voucher,
)
from backend.membership.models import AgreementKind, MemberStatus
from backend.membership.schemas import (
    AgreementIn,
    ApplicationIn,
    BallotIn,
    CriterionIn,
    OpenVoteIn,
    RecuseIn,
    ReferralIn,
    ReportIn,
    RulesIn,
)
from backend.mentoring import service as mentoring_service
from backend.room import rooms as room_rooms
from backend.web.dependencies import FormData
from backend.web.forms import field_first, message_only, submit, validated
from backend.web.render import N_, page, see_other

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- her path


async def _agreement_text(session: DbSession, kind: AgreementKind, language: str) -> object:
    rows = await agreement_service.list_agreements(session, kind, current_only=True)
    by_language = {r.language: r for r in rows}
    return by_language.get(language) or by_language.get("en") or (rows[0] if rows else None)


async def _path_page(request: Request, actor: Actor, session: DbSession, **extra: Any) -> Response:
    me = actor.account.id
    membership = await status_service.load_membership(session, me)
    status = MemberStatus(membership.status)
    must_sign = await agreement_service.unsigned_kinds(session, me, status)
    if status is MemberStatus.CANDIDATE:
        # She signs the active-member rules while she applies.
        version = await agreement_service.current_version(
            session, AgreementKind.ACTIVE_MEMBER_RULES
        )
        if version is not None and await _active_rules_unsigned(session, me):
            must_sign.append(AgreementKind.ACTIVE_MEMBER_RULES)
    texts = [
        (kind, await _agreement_text(session, kind, actor.account.language)) for kind in must_sign
    ]
    applications = await application_service.applications_of(session, me)
    application = applications[0] if applications else None
    interviewers: list[str] = []
    vote = None
    if application is not None:
        ids = await application_service.interviewers_of(session, application.id)
        interviewers = [a.pseudonym for a in [await session.get(Account, i) for i in ids] if a]
        vote = await vote_service.latest_vote(session, application.id)
    mentorships = []
    for m in await mentoring_service.mentorships_of(session, me):
        mentor = await session.get(Account, m.mentor_id)
        mentee = await session.get(Account, m.mentee_id)
        room = await room_rooms.find_mentoring_room(
            session, mentor_id=m.mentor_id, mentee_id=m.mentee_id
        )
        mentorships.append((m, mentor, mentee, room))
    card = await card_service.my_card(session, me)
    return page(
        request,
        "membership.html",
        actor=actor,
        title=N_("My path"),
        membership=membership,
        status=status,
        participation=await status_service.participation_count(session, me),
        next_steps=await status_service.next_steps(session, membership),
        rules=await membership_settings.get_rules(session),
        texts=texts,
        application=application,
        interviewers=interviewers,
        vote=vote,
        mentorships=mentorships,
        card=card,
        **extra,
    )


async def _active_rules_unsigned(session: DbSession, account_id: uuid.UUID) -> bool:
    """unsigned_kinds lists the active-member rules from active on; a candidate signs
    them while she applies, so ask as if she were active."""
    missing = await agreement_service.unsigned_kinds(session, account_id, MemberStatus.ACTIVE)
    return AgreementKind.ACTIVE_MEMBER_RULES in missing


@router.get("/membership", response_class=HTMLResponse)
async def my_path(request: Request, actor: SelfActor, session: DbSession) -> Response:
    return await _path_page(request, actor, session)


@router.post("/agreements/{kind}/sign")
async def sign(
    request: Request, kind: AgreementKind, actor: SelfActor, session: DbSession, form: FormData
) -> Response:
    async def sign_it() -> Response:
        await status_service.sign_agreement(
            session,
            account_id=actor.account.id,
            kind=kind,
            version=int(form.get("version") or 0),
            language=form.get("language") or "en",
        )
        return see_other("/membership?signed=1")

    return await submit(
        session, sign_it, partial(_path_page, request, actor, session), shown=message_only
    )


@router.post("/applications")
async def apply(request: Request, actor: Applicant, session: DbSession, form: FormData) -> Response:
    async def submit_it() -> Response:
        body = validated(ApplicationIn, motivation=form.get("motivation"))
        await application_service.submit_application(
            session,
            applicant_id=actor.account.id,
            motivation=body.motivation,
            working_group_ids=body.working_group_ids,
        )
        return see_other("/membership?applied=1")

    return await submit(
        session, submit_it, partial(_path_page, request, actor, session), shown=message_only
    )


@router.post("/applications/{application_id}/withdraw")
async def withdraw(
    application_id: uuid.UUID, actor: SelfActor, session: DbSession, _f: FormData
) -> Response:
    await application_service.withdraw_application(
        session, applicant_id=actor.account.id, application_id=application_id
    )
    return see_other("/membership")


def qr_svg(token: str) -> str:
    buffer = io.BytesIO()
    segno.make(token, error="m").save(
        buffer, kind="svg", scale=3, xmldecl=False, svgns=True, title="QR", nl=False
    )
    return buffer.getvalue().decode()


@router.get("/card", response_class=HTMLResponse)
async def card(
    request: Request, actor: SelfActor, session: DbSession, signer: CardSignerDep
) -> Response:
    found = await card_service.my_card(session, actor.account.id)
    if found is None:
        raise NotFound("You have no card.")
    token = card_service.card_token(signer, found, actor.account.pseudonym)
    return page(
        request,
        "card.html",
        actor=actor,
        title=N_("My card"),
        card=found,
        token=token,
        qr=qr_svg(token),
    )


# ---------------------------------------------------------------- vouching


async def _vouching_page(
    request: Request, actor: Actor, session: DbSession, **extra: Any
) -> Response:
    return page(
        request,
        "vouching.html",
        actor=actor,
        title=N_("Vouch for a newcomer"),
        waiting=await status_service.list_waiting_for_vouch(session),
        **extra,
    )


@router.get("/vouching", response_class=HTMLResponse)
async def vouching(request: Request, actor: Voucher, session: DbSession) -> Response:
    return await _vouching_page(request, actor, session)


@router.post("/vouching/{account_id}")
async def vouch(
    request: Request, account_id: uuid.UUID, actor: Voucher, session: DbSession, _f: FormData
) -> Response:
    async def vouch_for_her() -> Response:
        await status_service.vouch_for(session, voucher_id=actor.account.id, account_id=account_id)
        return see_other("/vouching?vouched=1")

    return await submit(
        session, vouch_for_her, partial(_vouching_page, request, actor, session), shown=message_only
    )


# ---------------------------------------------------------------- referrals


@router.get("/referrals", response_class=HTMLResponse)
async def referrals(request: Request, actor: SelfActor, session: DbSession) -> Response:
    if not actor.can(Capability.MEMBERSHIP_REFER):
        raise NotFound()
    rows = await referral_service.list_my_referrals(session, actor.account.id)
    return page(request, "referrals.html", actor=actor, title=N_("Invite someone"), rows=rows)


@router.post("/referrals", response_class=HTMLResponse)
async def refer(
    request: Request,
    actor: SelfActor,
    session: DbSession,
    vault: VaultDep,
    services: AuthServicesDep,
    form: FormData,
) -> Response:
    org = form.get("organisation_id") or None

    async def refer_her() -> Response:
        body = validated(ReferralIn, organisation_id=org, note=form.get("note"))
        referral, code = await referral_service.create_referral(
            session,
            vault=vault,
            secret=services.secret,
            actor_id=actor.account.id,
            grants=actor.grants,
            organisation_id=body.organisation_id,
            note=body.note,
        )
        # The code is shown once, on this page: no redirect.
        return await referrals_page(code=code, expires_at=referral.expires_at)

    async def referrals_page(**shown: Any) -> Response:
        rows = await referral_service.list_my_referrals(session, actor.account.id)
        return page(
            request, "referrals.html", actor=actor, title=N_("Invite someone"), rows=rows, **shown
        )

    return await submit(session, refer_her, referrals_page, shown=message_only)


# ---------------------------------------------------------------- Roots


@router.get("/votes", response_class=HTMLResponse)
async def roots(request: Request, actor: SelfActor, session: DbSession) -> Response:
    """Open votes (for voters) and applications (for readers), each behind its capability."""
    if not (actor.can(Capability.MEMBERSHIP_VOTE) or actor.can(Capability.MEMBERSHIP_READ)):
        raise NotFound()
    votes = await membership_views.open_votes_she_may_see(
        session, actor_id=actor.account.id, grants=actor.grants
    )
    applications = []
    if actor.can(Capability.MEMBERSHIP_READ):
        for application in await application_service.list_applications(session, status=None):
            applicant = await session.get(Account, application.applicant_id)
            applications.append((application, applicant.pseudonym if applicant else ""))
    return page(
        request,
        "roots.html",
        actor=actor,
        title=N_("Roots"),
        votes=votes,
        applications=applications,
    )


async def _vote_page(
    request: Request, actor: Actor, session: DbSession, vote_id: uuid.UUID, **extra: Any
) -> Response:
    view = await membership_views.view_vote(
        session, actor_id=actor.account.id, grants=actor.grants, vote_id=vote_id
    )
    report = None
    if actor.can(Capability.MEMBERSHIP_READ):
        application, with_report = await membership_access.access_application(
            session, actor.account.id, actor.grants, view.vote.application_id
        )
        if with_report:
            report = await membership_views.report_view(session, application.id)
    return page(
        request,
        "vote.html",
        actor=actor,
        title=N_("Vote"),
        view=view,
        report=report,
        criteria=await agreement_service.list_criteria(session),
        **extra,
    )


@router.get("/votes/{vote_id}", response_class=HTMLResponse)
async def vote(
    request: Request,
    vote_id: uuid.UUID,
    actor: SelfActor,
    session: WriteDbSession,
    context: CloseContextDep,
) -> Response:
    """Turnout; after the close the outcome. Reading past the deadline closes it (lazy close)."""
    await vote_service.close_if_overdue(session, vote_id, context)
    return await _vote_page(request, actor, session, vote_id)


@router.post("/votes/{vote_id}/ballot")
async def cast_ballot(
    request: Request,
    vote_id: uuid.UUID,
    actor: RootsVoter,
    session: DbSession,
    context: CloseContextDep,
    form: FormData,
) -> Response:
    notes = {
        key.removeprefix("note-"): value.strip()
        for key, value in form.pairs
        if key.startswith("note-") and value.strip()
    }

    async def cast() -> Response:
        body = validated(BallotIn, choice=form.get("choice") or None, notes=notes)
        await vote_service.cast_ballot(
            session,
            voter_id=actor.account.id,
            vote_id=vote_id,
            choice=body.choice,
            notes=body.notes,
            context=context,
        )
        return see_other(f"/votes/{vote_id}?saved=1")

    return await submit(
        session,
        cast,
        partial(_vote_page, request, actor, session, vote_id),
        shown=field_first("choice"),
    )


@router.post("/votes/{vote_id}/recusal")
async def recuse(
    request: Request,
    vote_id: uuid.UUID,
    actor: RootsVoter,
    session: DbSession,
    context: CloseContextDep,
    form: FormData,
) -> Response:
    async def step_back() -> Response:
        body = validated(RecuseIn, reason=form.text("reason"))
        await vote_service.recuse(
            session,
            voter_id=actor.account.id,
            vote_id=vote_id,
            reason=body.reason,
            context=context,
        )
        return see_other(f"/votes/{vote_id}")

    return await submit(
        session,
        step_back,
        partial(_vote_page, request, actor, session, vote_id),
        shown=field_first("reason"),
    )


async def _application_page(
    request: Request,
    actor: Actor,
    session: DbSession,
    application_id: uuid.UUID,
    **extra: Any,
) -> Response:
    application, with_report = await membership_access.access_application(
        session, actor.account.id, actor.grants, application_id
    )
    if not with_report:
        return see_other("/membership")
    applicant = await session.get(Account, application.applicant_id)
    ids = await application_service.interviewers_of(session, application.id)
    interviewers = [a for a in [await session.get(Account, i) for i in ids] if a]
    return page(
        request,
        "application.html",
        actor=actor,
        title=N_("Application"),
        application=application,
        applicant=applicant.pseudonym if applicant else "",
        interviewers=interviewers,
        i_interview=actor.account.id in ids and actor.can(Capability.MEMBERSHIP_INTERVIEW),
        may_coordinate=actor.can(Capability.MEMBERSHIP_COORDINATE),
        report=await membership_views.report_view(session, application.id),
        vote=await vote_service.latest_vote(session, application.id),
        criteria=await agreement_service.list_criteria(session),
        **extra,
    )


@router.get("/applications/{application_id}", response_class=HTMLResponse)
async def application(
    request: Request, application_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> Response:
    return await _application_page(request, actor, session, application_id)


@router.post("/applications/{application_id}/interviewers")
async def assign_interviewers(
    request: Request,
    application_id: uuid.UUID,
    actor: RootsCoordinator,
    session: DbSession,
    form: FormData,
) -> Response:
    async def assign() -> Response:
        ids = []
        for name in [n.strip() for n in form.get("pseudonyms").split(",") if n.strip()]:
            account = await auth_service.get_account_by_pseudonym(session, name)
            if account is None:
                raise InvalidInput(
                    f"Nobody is called {name}.", fields={"pseudonyms": f"Nobody is called {name}."}
                )
            ids.append(account.id)
        if not ids:
            raise InvalidInput("Name one to three people.", fields={"pseudonyms": "Required."})
        await application_service.assign_interviewers(
            session,
            coordinator_id=actor.account.id,
            application_id=application_id,
            interviewer_ids=ids,
        )
        return see_other(f"/applications/{application_id}")

    return await submit(
        session,
        assign,
        partial(_application_page, request, actor, session, application_id),
        shown=message_only,
    )


@router.post("/applications/{application_id}/report")
async def write_report(
    request: Request,
    application_id: uuid.UUID,
    actor: Interviewer,
    session: DbSession,
    form: FormData,
) -> Response:
    criteria = await agreement_service.list_criteria(session)

    async def write() -> Response:
        body = validated(
            ReportIn,
            summary=form.text("summary"),
            assessments=[
                {
                    "criterion_id": str(c.id),
                    "assessment": form.get(f"assessment-{c.id}") or None,
                    "comment": form.text(f"comment-{c.id}"),
                }
                for c in criteria
            ],
        )
        await application_service.write_report(
            session,
            interviewer_id=actor.account.id,
            application_id=application_id,
            summary=body.summary,
            assessments=[(a.criterion_id, a.assessment, a.comment) for a in body.assessments],
        )
        return see_other(f"/applications/{application_id}?saved=1")

    return await submit(
        session,
        write,
        partial(
            _application_page, request, actor, session, application_id, values=dict(form.pairs)
        ),
    )


@router.post("/applications/{application_id}/vote")
async def open_vote(
    request: Request,
    application_id: uuid.UUID,
    actor: RootsCoordinator,
    session: DbSession,
    form: FormData,
) -> Response:
    days = form.get("days")

    async def open_it() -> Response:
        try:
            deadline = utc_now() + timedelta(days=int(days)) if days else None
        except ValueError as exc:
            raise InvalidInput("Give a number of days.") from exc
        body = validated(OpenVoteIn, deadline=deadline)
        vote = await vote_service.open_vote(
            session,
            coordinator_id=actor.account.id,
            application_id=application_id,
            deadline=body.deadline,
        )
        return see_other(f"/votes/{vote.id}")

    return await submit(
        session,
        open_it,
        partial(_application_page, request, actor, session, application_id),
        shown=message_only,
    )


# ---------------------------------------------------------------- admin


RULE_FIELDS = (
    ("participation_required", N_("Times a newcomer takes part before she is a member")),
    ("quorum_percent", N_("Quorum: ballots cast, in percent of the voters")),
    ("threshold_percent", N_("Yes needed, in percent of yes and no")),
    ("min_ballots_for_tally", N_("Fewest ballots before the exact count is shown")),
    ("min_active_days_to_vote", N_("Days as an active member before voting")),
    ("vote_days", N_("Days a vote stays open")),
    ("referrals_per_period", N_("Invitations an active member may give per period")),
    ("referral_period_days", N_("Days in that period")),
    ("inactive_after_days", N_("Days without taking part before a break")),
    ("card_valid_days", N_("Days a card is valid")),
)


async def _admin_page(request: Request, actor: Actor, session: DbSession, **extra: Any) -> Response:
    if not (actor.can(Capability.SETTINGS_MANAGE) or actor.can(Capability.AGREEMENTS_MANAGE)):
        raise NotFound()
    agreements = [
        (kind, await agreement_service.list_agreements(session, kind, current_only=True))
        for kind in AgreementKind
    ]
    return page(
        request,
        "admin.html",
        actor=actor,
        title=N_("Settings"),
        rules=await membership_settings.get_rules(session),
        rule_fields=RULE_FIELDS,
        criteria=await agreement_service.list_criteria(session),
        agreements=agreements,
        **extra,
    )


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request, actor: SelfActor, session: DbSession) -> Response:
    return await _admin_page(request, actor, session)


@router.post("/admin/rules")
async def update_rules(
    request: Request, actor: SettingsEditor, session: DbSession, form: FormData
) -> Response:
    async def save() -> Response:
        body = validated(RulesIn, **{name: form.get(name) or None for name, _ in RULE_FIELDS})
        await membership_settings.update_rules(
            session, actor_id=actor.account.id, changes=body.model_dump(exclude_none=True)
        )
        return see_other("/admin?saved=1")

    return await submit(session, save, partial(_admin_page, request, actor, session))


@router.post("/admin/agreements")
async def publish_agreement(
    request: Request, actor: AgreementEditor, session: DbSession, form: FormData
) -> Response:
    async def publish() -> Response:
        body = validated(
            AgreementIn,
            kind=form.get("kind") or None,
            language=form.get("language") or None,
            title=form.text("title"),
            body=form.text("body"),
            version=form.get("version") or None,
        )
        await agreement_service.publish_agreement(
            session,
            admin_id=actor.account.id,
            kind=body.kind,
            language=body.language,
            title=body.title,
            body=body.body,
            version=body.version,
        )
        return see_other("/admin?saved=1#agreements")

    return await submit(session, publish, partial(_admin_page, request, actor, session))


@router.post("/admin/criteria")
async def add_criterion(
    request: Request, actor: SettingsEditor, session: DbSession, form: FormData
) -> Response:
    async def add() -> Response:
        body = validated(
            CriterionIn, title=form.text("title"), description=form.text("description")
        )
        await agreement_service.add_criterion(
            session,
            admin_id=actor.account.id,
            title=body.title,
            description=body.description,
            position=body.position,
        )
        return see_other("/admin?saved=1#criteria")

    return await submit(session, add, partial(_admin_page, request, actor, session))


@router.post("/admin/criteria/{criterion_id}/archive")
async def archive_criterion(
    criterion_id: uuid.UUID, actor: SettingsEditor, session: DbSession, _f: FormData
) -> Response:
    await agreement_service.archive_criterion(
        session, admin_id=actor.account.id, criterion_id=criterion_id
    )
    return see_other("/admin#criteria")
