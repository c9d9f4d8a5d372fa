import io
import uuid
from typing import Any

import segno
from fastapi import APIRouter, Depends, Request, Response, status

from backend.auth import places
from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, AuthServicesDep, SelfActor, per_account
from backend.auth.endpoints import signed_up
from backend.auth.lookup import SignedInAccount
from backend.auth.models import Account, PlaceKind
from backend.auth.schemas import RegisteredOut
from backend.core.dependencies import ClientKey, ClientOrigin, DbSession, WriteDbSession
from backend.core.errors import NotFound
from backend.core.jsonbody import StrictJSONRoute
from backend.core.ratelimit import per_client
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
from backend.membership import working_groups as group_service
from backend.membership.dependencies import (
    AgreementEditor,
    Applicant,
    CardSignerDep,
    CloseContextDep,
    Facilitator,
    GroupMember,
    Interviewer,
    MembershipReader,
    RootsCoordinator,
    RootsVoter,
    SafeguardingOfficer,
    SettingsEditor,
    Voucher,
)
from backend.membership.models import (
    AgreementKind,
    Application,
    ApplicationStatus,
    Membership,
)
from backend.membership.schemas import (
    AgreementIn,
    AgreementPublic,
    ApplicationIn,
    ApplicationPublic,
    AssessmentPublic,
    BallotIn,
    CardPublic,
    CriterionIn,
    CriterionPublic,
    InterviewersIn,
    JoinIn,
    MembershipPublic,
    OpenVoteIn,
    ParticipationIn,
    ProfileIn,
    RecuseIn,
    ReferralCreated,
    ReferralIn,
    ReferralPublic,
    ReportIn,
    ReportPublic,
    RevokeIn,
    RulesIn,
    RulesPublic,
    SignaturePublic,
    SignIn,
    StatusChangeIn,
    TallyPublic,
    VerifyIn,
    VerifyOut,
    VotePublic,
    WaitingForVouchPublic,
    WorkingGroupIn,
    WorkingGroupPublic,
)
from backend.mentoring import service as mentoring_service
from backend.mentoring.rules import Mentee, parse_languages

router = APIRouter(tags=["membership"], route_class=StrictJSONRoute)
public_router = APIRouter(tags=["membership"])


async def _membership_public(
    session: DbSession, membership: Membership, account: Account | SignedInAccount
) -> MembershipPublic:
    status_ = membership.status
    return MembershipPublic(
        account_id=account.id,
        pseudonym=account.pseudonym,
        status=status_,
        vouched=membership.vouched,
        languages=sorted(parse_languages(membership.languages)),
        city=membership.city,
        region=membership.region,
        member_since=membership.member_since,
        active_since=membership.active_since,
        participation_count=await status_service.participation_count(session, account.id),
        participation_required=(
            await membership_settings.get_rules(session)
        ).participation_required,
        must_sign=await agreement_service.unsigned_kinds(session, account.id, status_),
        next_steps=await status_service.next_steps(session, membership),
    )


# ---------------------------------------------------------------- joining and referrals


@router.post(
    "/referrals/join",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    dependencies=[Depends(per_client("registration"))],
)
async def join(
    body: JoinIn,
    request: Request,
    response: Response,
    session: DbSession,
    services: AuthServicesDep,
    client: ClientKey,
    origin: ClientOrigin,
) -> RegisteredOut:
    """Register with the invitation code a referral gave her: she starts vouched."""
    account, codes = await referral_service.join_with_invitation(
        session,
        services,
        pseudonym=body.pseudonym,
        password=body.password,
        language=body.language,
        code=body.invitation_code,
        client_key=client,
    )
    await places.record_place(
        session, services.secret, account_id=account.id, kind=PlaceKind.REGISTERED, origin=origin
    )
    return await signed_up(request, response, session, services, account, codes, body.client)


@router.post(
    "/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralCreated,
    dependencies=[Depends(per_account("referrals"))],
)
async def refer(
    body: ReferralIn,
    actor: SelfActor,
    session: DbSession,
    vault: VaultDep,
    services: AuthServicesDep,
) -> ReferralCreated:
    """Refer someone and vouch for her: an invitation code to hand over, once."""
    referral, code = await referral_service.create_referral(
        session,
        vault=vault,
        secret=services.secret,
        actor_id=actor.account.id,
        grants=actor.grants,
        organisation_id=body.organisation_id,
        note=body.note,
    )
    return ReferralCreated(id=referral.id, invitation_code=code, expires_at=referral.expires_at)


@router.get("/referrals", response_model=list[ReferralPublic])
async def my_referrals(actor: SelfActor, session: DbSession) -> list[ReferralPublic]:
    return [
        ReferralPublic(
            id=r.id,
            organisation_id=r.organisation_id,
            created_at=r.created_at,
            expires_at=r.expires_at,
            redeemed=r.redeemed_at is not None,
            withdrawn=r.withdrawn_at is not None,
        )
        for r in await referral_service.list_my_referrals(session, actor.account.id)
    ]


# ---------------------------------------------------------------- status


@router.get("/membership/me", response_model=MembershipPublic)
async def my_membership(actor: SelfActor, session: DbSession) -> MembershipPublic:
    """Where she stands on the path, and which agreements wait for her signature."""
    membership = await status_service.load_membership(session, actor.account.id)
    return await _membership_public(session, membership, actor.account)


@router.put("/membership/me/profile", response_model=MembershipPublic)
async def set_my_profile(body: ProfileIn, actor: SelfActor, session: DbSession) -> MembershipPublic:
    """Languages, city and region: used to match a mentor. All optional."""
    membership = await status_service.set_profile(
        session,
        account_id=actor.account.id,
        languages=list(body.languages),
        city=body.city,
        region=body.region,
    )
    return await _membership_public(session, membership, actor.account)


@router.get("/members/{account_id}", response_model=MembershipPublic)
async def member(
    account_id: uuid.UUID, actor: MembershipReader, session: DbSession
) -> MembershipPublic:
    """Where someone stands on the path. Her city and region (kept to match a mentor) are
    shown only to Roots coordinators and safeguarding: a place can lead to a person."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    membership = await status_service.load_membership(session, account_id)
    shown = await _membership_public(session, membership, account)
    if not (actor.can(Capability.MEMBERSHIP_COORDINATE) or actor.can(Capability.SAFETY_REVIEW)):
        shown = shown.model_copy(update={"city": None, "region": None})
    return shown


@router.post("/members/{account_id}/participation", response_model=MembershipPublic)
async def confirm_participation(
    account_id: uuid.UUID, body: ParticipationIn, actor: Facilitator, session: DbSession
) -> MembershipPublic:
    """A facilitator confirms she took part in a session."""
    await status_service.confirm_participation(
        session, facilitator_id=actor.account.id, account_id=account_id, note=body.note
    )
    account = await session.get(Account, account_id)
    assert account is not None  # noqa: S101 - confirm_participation checked it
    membership = await status_service.load_membership(session, account_id)
    return await _membership_public(session, membership, account)


@router.get("/newcomers/waiting-for-vouch", response_model=list[WaitingForVouchPublic])
async def waiting_for_vouch(_actor: Voucher, session: DbSession) -> list[WaitingForVouchPublic]:
    """Self-registered newcomers nobody has vouched for yet, oldest first."""
    return [
        WaitingForVouchPublic(
            account_id=account.id,
            pseudonym=account.pseudonym,
            registered_at=account.created_at,
            participation_count=count,
        )
        for account, count in await status_service.list_waiting_for_vouch(session)
    ]


@router.post("/members/{account_id}/vouch", response_model=MembershipPublic)
async def vouch(account_id: uuid.UUID, actor: Voucher, session: DbSession) -> MembershipPublic:
    """A facilitator or an active member vouches for a newcomer she has met. Audited."""
    membership = await status_service.vouch_for(
        session, voucher_id=actor.account.id, account_id=account_id
    )
    account = await session.get(Account, account_id)
    assert account is not None  # noqa: S101 - vouch_for locked her row
    return await _membership_public(session, membership, account)


@router.post("/members/{account_id}/status", response_model=MembershipPublic)
async def change_status(
    account_id: uuid.UUID, body: StatusChangeIn, actor: SafeguardingOfficer, session: DbSession
) -> MembershipPublic:
    """Suspend, expel, lift a suspension or mark non-active, with a reason."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    membership = await status_service.change_status_by_safeguarding(
        session,
        officer_id=actor.account.id,
        account_id=account_id,
        target=body.status,
        reason=body.reason,
    )
    return await _membership_public(session, membership, account)


@router.post("/members/{account_id}/founding", response_model=MembershipPublic)
async def found_active_member(
    account_id: uuid.UUID, actor: SettingsEditor, session: DbSession
) -> MembershipPublic:
    """Bootstrap only: name a founding active member while there are too few Roots to vote."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    membership = await status_service.found_active_member(
        session, admin_id=actor.account.id, account_id=account_id
    )
    return await _membership_public(session, membership, account)


@router.get("/membership/rules", response_model=RulesPublic)
async def get_rules(_actor: SelfActor, session: DbSession) -> RulesPublic:
    return RulesPublic.model_validate(await membership_settings.get_rules(session))


@router.put("/membership/rules", response_model=RulesPublic)
async def update_rules(body: RulesIn, actor: SettingsEditor, session: DbSession) -> RulesPublic:
    rules_ = await membership_settings.update_rules(
        session, actor_id=actor.account.id, changes=body.model_dump(exclude_none=True)
    )
    return RulesPublic.model_validate(rules_)


# ---------------------------------------------------------------- agreements and criteria


@router.get("/agreements/{kind}", response_model=list[AgreementPublic])
async def current_agreement(
    kind: AgreementKind, _actor: SelfActor, session: DbSession
) -> list[AgreementPublic]:
    """The current version of an agreement, in every language it has."""
    rows = await agreement_service.list_agreements(session, kind, current_only=True)
    return [AgreementPublic.model_validate(r) for r in rows]


@router.post("/agreements", status_code=status.HTTP_201_CREATED, response_model=AgreementPublic)
async def publish_agreement(
    body: AgreementIn, actor: AgreementEditor, session: DbSession
) -> AgreementPublic:
    """A new version (everyone signs again) or a translation of the current one."""
    agreement = await agreement_service.publish_agreement(
        session,
        admin_id=actor.account.id,
        kind=body.kind,
        language=body.language,
        title=body.title,
        body=body.body,
        version=body.version,
    )
    return AgreementPublic.model_validate(agreement)


@router.post(
    "/agreements/{kind}/signatures",
    status_code=status.HTTP_201_CREATED,
    response_model=SignaturePublic,
)
async def sign_agreement(
    kind: AgreementKind, body: SignIn, actor: SelfActor, session: DbSession
) -> SignaturePublic:
    signature = await status_service.sign_agreement(
        session,
        account_id=actor.account.id,
        kind=kind,
        version=body.version,
        language=body.language,
    )
    return SignaturePublic.model_validate(signature)


@router.get("/criteria", response_model=list[CriterionPublic])
async def list_criteria(_actor: SelfActor, session: DbSession) -> list[CriterionPublic]:
    """What the community expects of an active member."""
    return [
        CriterionPublic.model_validate(c) for c in await agreement_service.list_criteria(session)
    ]


@router.post("/criteria", status_code=status.HTTP_201_CREATED, response_model=CriterionPublic)
async def add_criterion(
    body: CriterionIn, actor: SettingsEditor, session: DbSession
) -> CriterionPublic:
    criterion = await agreement_service.add_criterion(
        session,
        admin_id=actor.account.id,
        title=body.title,
        description=body.description,
        position=body.position,
    )
    return CriterionPublic.model_validate(criterion)


@router.delete("/criteria/{criterion_id}", status_code=status.HTTP_204_NO_CONTENT)
async def archive_criterion(
    criterion_id: uuid.UUID, actor: SettingsEditor, session: DbSession
) -> None:
    await agreement_service.archive_criterion(
        session, admin_id=actor.account.id, criterion_id=criterion_id
    )


# ---------------------------------------------------------------- applications


async def _application_public(
    session: DbSession, application: Application, *, with_report: bool
) -> ApplicationPublic:
    applicant = await session.get(Account, application.applicant_id)
    interviewer_ids = await application_service.interviewers_of(session, application.id)
    names = {
        a.id: a.pseudonym
        for a in [await session.get(Account, i) for i in interviewer_ids]
        if a is not None
    }
    vote = await vote_service.latest_vote(session, application.id)
    report = None
    view = await membership_views.report_view(session, application.id) if with_report else None
    if view is not None:
        report = ReportPublic(
            written_by=view.written_by,
            written_at=view.written_at,
            summary=view.summary,
            assessments=[
                AssessmentPublic(
                    criterion_id=a.criterion_id,
                    criterion=a.criterion,
                    assessment=a.assessment,
                    comment=a.comment,
                )
                for a in view.assessments
            ],
        )
    return ApplicationPublic(
        id=application.id,
        applicant_id=application.applicant_id,
        applicant=applicant.pseudonym if applicant else "erased member",
        status=application.status,
        created_at=application.created_at,
        decided_at=application.decided_at,
        interviewers=[names[i] for i in interviewer_ids if i in names],
        vote_id=vote.id if vote else None,
        report=report,
        motivation=application.motivation if with_report else None,
    )


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationPublic)
async def apply(body: ApplicationIn, actor: Applicant, session: DbSession) -> ApplicationPublic:
    """A member asks to become active."""
    application = await application_service.submit_application(
        session,
        applicant_id=actor.account.id,
        motivation=body.motivation,
        working_group_ids=body.working_group_ids,
    )
    return await _application_public(session, application, with_report=False)


@router.get("/applications", response_model=list[ApplicationPublic])
async def list_applications(
    _actor: MembershipReader, session: DbSession, status: ApplicationStatus | None = None
) -> list[ApplicationPublic]:
    rows = await application_service.list_applications(session, status=status)
    return [await _application_public(session, a, with_report=False) for a in rows]


@router.get("/applications/{application_id}", response_model=ApplicationPublic)
async def get_application(
    application_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> ApplicationPublic:
    """The applicant sees her own (never the report); Roots and safeguarding see all."""
    application, with_report = await membership_access.access_application(
        session, actor.account.id, actor.grants, application_id
    )
    return await _application_public(session, application, with_report=with_report)


@router.post("/applications/{application_id}/withdrawal", response_model=ApplicationPublic)
async def withdraw(
    application_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> ApplicationPublic:
    application = await application_service.withdraw_application(
        session, applicant_id=actor.account.id, application_id=application_id
    )
    return await _application_public(session, application, with_report=False)


@router.put("/applications/{application_id}/interviewers", response_model=ApplicationPublic)
async def assign_interviewers(
    application_id: uuid.UUID, body: InterviewersIn, actor: RootsCoordinator, session: DbSession
) -> ApplicationPublic:
    await application_service.assign_interviewers(
        session,
        coordinator_id=actor.account.id,
        application_id=application_id,
        interviewer_ids=body.interviewer_ids,
    )
    application = await application_service.get_application(session, application_id)
    return await _application_public(session, application, with_report=True)


@router.put("/applications/{application_id}/report", response_model=ApplicationPublic)
async def write_report(
    application_id: uuid.UUID, body: ReportIn, actor: Interviewer, session: DbSession
) -> ApplicationPublic:
    await application_service.write_report(
        session,
        interviewer_id=actor.account.id,
        application_id=application_id,
        summary=body.summary,
        assessments=[(a.criterion_id, a.assessment, a.comment) for a in body.assessments],
    )
    application = await application_service.get_application(session, application_id)
    return await _application_public(session, application, with_report=True)


@router.post(
    "/applications/{application_id}/votes",
    status_code=status.HTTP_201_CREATED,
    response_model=VotePublic,
)
async def open_vote(
    application_id: uuid.UUID, body: OpenVoteIn, actor: RootsCoordinator, session: DbSession
) -> VotePublic:
    """Open the Roots vote (or re-run it once after no quorum)."""
    vote = await vote_service.open_vote(
        session,
        coordinator_id=actor.account.id,
        application_id=application_id,
        deadline=body.deadline,
    )
    return await _vote_public(session, actor, vote.id)


# ---------------------------------------------------------------- votes


async def _vote_public(session: DbSession, actor: Actor, vote_id: uuid.UUID) -> VotePublic:
    view = await membership_views.view_vote(
        session, actor_id=actor.account.id, grants=actor.grants, vote_id=vote_id
    )
    return _vote_shown(view)


def _vote_shown(view: membership_views.VoteView) -> VotePublic:
    vote = view.vote
    return VotePublic(
        id=vote.id,
        application_id=vote.application_id,
        applicant=view.applicant,
        opened_at=vote.opened_at,
        deadline=vote.deadline,
        closed=vote.closed_at is not None,
        eligible_voters=view.tally.voters,
        recused=view.tally.recused,
        ballots_cast=view.tally.ballots,
        outcome=vote.outcome,
        tally=TallyPublic(yes=view.tally.yes, no=view.tally.no, abstain=view.tally.abstain)
        if view.show_tally
        else None,
        i_may_vote=view.i_may_vote,
        i_recused=view.i_recused,
        my_choice=view.my_choice,
    )


@router.get("/votes", response_model=list[VotePublic])
async def open_votes(actor: RootsVoter, session: DbSession) -> list[VotePublic]:
    """Open votes she may see, soonest deadline first."""
    views = await membership_views.open_votes_she_may_see(
        session, actor_id=actor.account.id, grants=actor.grants
    )
    return [_vote_shown(view) for view in views]


@router.get("/votes/{vote_id}", response_model=VotePublic)
async def get_vote(
    vote_id: uuid.UUID, actor: SelfActor, session: WriteDbSession, context: CloseContextDep
) -> VotePublic:
    """Turnout; after the close, the outcome and (above the minimum) the tally.

    Reading a vote past its deadline closes it (lazy close), hence a write transaction.
    """
    await vote_service.close_if_overdue(session, vote_id, context)
    return await _vote_public(session, actor, vote_id)


@router.put("/votes/{vote_id}/ballot", response_model=VotePublic)
async def cast_ballot(
    vote_id: uuid.UUID,
    body: BallotIn,
    actor: RootsVoter,
    session: DbSession,
    context: CloseContextDep,
) -> VotePublic:
    """Cast or change her ballot until the close. Nobody else ever sees it."""
    await vote_service.cast_ballot(
        session,
        voter_id=actor.account.id,
        vote_id=vote_id,
        choice=body.choice,
        notes=body.notes,
        context=context,
    )
    return await _vote_public(session, actor, vote_id)


@router.post("/votes/{vote_id}/recusal", response_model=VotePublic)
async def recuse(
    vote_id: uuid.UUID,
    body: RecuseIn,
    actor: RootsVoter,
    session: DbSession,
    context: CloseContextDep,
) -> VotePublic:
    """She knows the applicant outside the community (or has another conflict): she steps aside."""
    await vote_service.recuse(
        session, voter_id=actor.account.id, vote_id=vote_id, reason=body.reason, context=context
    )
    return await _vote_public(session, actor, vote_id)


# ---------------------------------------------------------------- mentoring changes


@router.post("/mentorships/{mentorship_id}/change-request", status_code=status.HTTP_201_CREATED)
async def ask_for_another_mentor(
    mentorship_id: uuid.UUID, body: RecuseIn, actor: SelfActor, session: DbSession
) -> dict[str, str | None]:
    """The mentee asks for another mentor; a new one is proposed to the Roots coordinators."""
    membership = await status_service.load_membership(session, actor.account.id)
    proposal = await mentoring_service.request_other_mentor(
        session,
        mentee=Mentee(
            account_id=actor.account.id,
            languages=parse_languages(membership.languages) or frozenset({actor.account.language}),
            city=membership.city,
            region=membership.region,
        ),
        mentorship_id=mentorship_id,
        reason=body.reason,
    )
    return {
        "status": "proposed" if proposal else "waiting_for_a_mentor",
        "mentorship_id": str(proposal.id) if proposal else None,
    }


# ---------------------------------------------------------------- cards


def _qr_svg(token: str) -> str:
    buffer = io.BytesIO()
    segno.make(token, error="m").save(buffer, kind="svg", scale=3, xmldecl=False)
    return buffer.getvalue().decode()


@router.get("/cards/me", response_model=CardPublic)
async def my_card(actor: SelfActor, session: DbSession, signer: CardSignerDep) -> CardPublic:
    """Her active-member card, with the signed token and its QR code."""
    card = await card_service.my_card(session, actor.account.id)
    if card is None:
        raise NotFound("You have no card.")
    token = card_service.card_token(signer, card, actor.account.pseudonym)
    return CardPublic(
        number=card.number,
        pseudonym=actor.account.pseudonym,
        issued_at=card.issued_at,
        expires_at=card.expires_at,
        status=card.status,
        token=token,
        qr_svg=_qr_svg(token),
    )


@router.post("/cards/verify", response_model=VerifyOut)
async def verify_card(body: VerifyIn, session: DbSession, signer: CardSignerDep) -> VerifyOut:
    """Anyone may check a card: valid, expired, revoked or unknown. Nothing more is shown."""
    found = await card_service.verify_card(session, signer, token=body.token, number=body.number)
    if found.card is None:
        return VerifyOut(result="unknown")
    return VerifyOut(
        result=found.result,
        pseudonym=found.pseudonym,
        status=found.card.status,
        issued_at=found.card.issued_at,
        expires_at=found.card.expires_at,
    )


@router.post("/cards/{number}/revocation", response_model=VerifyOut)
async def revoke_card(
    number: str, body: RevokeIn, actor: SafeguardingOfficer, session: DbSession
) -> VerifyOut:
    card = await card_service.revoke_card(
        session, officer_id=actor.account.id, number=number, reason=body.reason
    )
    return VerifyOut(
        result="revoked", status=card.status, issued_at=card.issued_at, expires_at=card.expires_at
    )


@public_router.get("/.well-known/jwks.json")
async def jwks(signer: CardSignerDep) -> dict[str, Any]:
    """The public keys that sign active-member cards, for offline verification."""
    return signer.public_jwks()


# ---------------------------------------------------------------- working groups


@router.get("/working-groups", response_model=list[WorkingGroupPublic])
async def working_groups(actor: GroupMember, session: DbSession) -> list[WorkingGroupPublic]:
    return [
        WorkingGroupPublic(
            id=g.id, name=g.name, description=g.description, members=n, i_am_member=mine
        )
        for g, n, mine in await group_service.list_groups(session, actor.account.id)
    ]


@router.post(
    "/working-groups", status_code=status.HTTP_201_CREATED, response_model=WorkingGroupPublic
)
async def create_working_group(
    body: WorkingGroupIn, actor: GroupMember, session: DbSession
) -> WorkingGroupPublic:
    group = await group_service.create_group(
        session, actor_id=actor.account.id, name=body.name, description=body.description
    )
    return WorkingGroupPublic(
        id=group.id, name=group.name, description=group.description, members=1, i_am_member=True
    )


@router.post("/working-groups/{group_id}/members", status_code=status.HTTP_204_NO_CONTENT)
async def join_working_group(group_id: uuid.UUID, actor: GroupMember, session: DbSession) -> None:
    await group_service.join_group(session, account_id=actor.account.id, group_id=group_id)


@router.delete("/working-groups/{group_id}/members/me", status_code=status.HTTP_204_NO_CONTENT)
async def leave_working_group(group_id: uuid.UUID, actor: GroupMember, session: DbSession) -> None:
    await group_service.leave_group(session, account_id=actor.account.id, group_id=group_id)
