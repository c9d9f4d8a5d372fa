import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, SelfActor, require
from backend.auth.models import Account
from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.mentoring import service as mentoring_service
from backend.mentoring.models import Mentorship
from backend.mentoring.rules import parse_languages
from backend.mentoring.schemas import (
    ConfirmIn,
    EndIn,
    MentorProfileIn,
    MentorProfilePublic,
    MentorshipPublic,
)

router = APIRouter(tags=["mentoring"], route_class=StrictJSONRoute)

Mentor = Annotated[Actor, Depends(require(Capability.MENTORING_MENTOR))]
RootsCoordinator = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_COORDINATE))]


async def _public(
    session: DbSession, mentorship: Mentorship, viewer: uuid.UUID | None = None
) -> MentorshipPublic:
    mentor = await session.get(Account, mentorship.mentor_id)
    mentee = await session.get(Account, mentorship.mentee_id)
    role = None
    if viewer is not None:
        role = "mentor" if viewer == mentorship.mentor_id else "mentee"
    return MentorshipPublic(
        id=mentorship.id,
        mentor=mentor.pseudonym if mentor else "erased member",
        mentee=mentee.pseudonym if mentee else "erased member",
        status=mentorship.status,
        proposed_at=mentorship.proposed_at,
        confirmed_at=mentorship.confirmed_at,
        ended_at=mentorship.ended_at,
        i_am=role,
    )


@router.put("/mentor-profile", response_model=MentorProfilePublic)
async def set_profile(
    body: MentorProfileIn, actor: Mentor, session: DbSession
) -> MentorProfilePublic:
    """Languages, place, how many mentees at once, and whether she takes new ones now."""
    profile = await mentoring_service.set_mentor_profile(
        session,
        account_id=actor.account.id,
        languages=list(body.languages),
        city=body.city,
        region=body.region,
        capacity=body.capacity,
        available=body.available,
    )
    return MentorProfilePublic(
        languages=sorted(parse_languages(profile.languages)),
        city=profile.city,
        region=profile.region,
        capacity=profile.capacity,
        available=profile.available,
    )


@router.get("/mentorships", response_model=list[MentorshipPublic])
async def my_mentorships(actor: SelfActor, session: DbSession) -> list[MentorshipPublic]:
    rows = await mentoring_service.mentorships_of(session, actor.account.id)
    return [await _public(session, m, actor.account.id) for m in rows]


@router.get("/mentorships/proposed", response_model=list[MentorshipPublic])
async def proposed(_actor: RootsCoordinator, session: DbSession) -> list[MentorshipPublic]:
    return [await _public(session, m) for m in await mentoring_service.list_proposed(session)]


@router.post("/mentorships/{mentorship_id}/confirmation", response_model=MentorshipPublic)
async def confirm(
    mentorship_id: uuid.UUID, body: ConfirmIn, actor: RootsCoordinator, session: DbSession
) -> MentorshipPublic:
    """Confirm the proposed mentor, or choose another one and say why."""
    mentorship = await mentoring_service.confirm_mentorship(
        session,
        coordinator_id=actor.account.id,
        mentorship_id=mentorship_id,
        mentor_id=body.mentor_id,
        reason=body.reason,
    )
    return await _public(session, mentorship)


@router.post("/mentorships/{mentorship_id}/end", response_model=MentorshipPublic)
async def end(
    mentorship_id: uuid.UUID, body: EndIn, actor: SelfActor, session: DbSession
) -> MentorshipPublic:
    mentorship = await mentoring_service.end_mentorship(
        session, actor_id=actor.account.id, mentorship_id=mentorship_id, reason=body.reason
    )
    return await _public(session, mentorship, actor.account.id)
