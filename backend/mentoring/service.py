"""Mentor profiles, proposals, confirmation, changes and endings."""

import uuid

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Role
from backend.auth.models import Account, RoleGrant
from backend.core import audit
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.time import utc_now
from backend.mentoring.models import MentorProfile, Mentorship, MentorshipStatus
from backend.mentoring.rules import Mentee, MentorCandidate, choose_mentor, parse_languages
from backend.notification import producers as notify
from backend.room import rooms as room_rooms
from backend.safety import service as safety_service

OPEN_STATUSES = (MentorshipStatus.PROPOSED, MentorshipStatus.ACTIVE)


async def set_mentor_profile(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    languages: list[str],
    city: str | None,
    region: str | None,
    capacity: int,
    available: bool,
) -> MentorProfile:
    profile = await session.get(MentorProfile, account_id) or MentorProfile(account_id=account_id)
    profile.languages = ",".join(sorted({lang.lower() for lang in languages}))
    profile.city, profile.region = city, region
    profile.capacity, profile.available = capacity, available
    session.add(profile)
    await session.flush()
    return profile


async def _candidates(session: AsyncSession) -> list[MentorCandidate]:
    mentors = select(RoleGrant.account_id).where(RoleGrant.role == Role.MENTOR)
    active = select(RoleGrant.account_id).where(RoleGrant.role == Role.ACTIVE_MEMBER)
    load = (
        select(Mentorship.mentor_id, func.count().label("load"))
        .where(col(Mentorship.status).in_(OPEN_STATUSES))
        .group_by(col(Mentorship.mentor_id))
        .subquery()
    )
    statement = (
        select(MentorProfile, Account, load.c.load)
        .join(Account, col(Account.id) == col(MentorProfile.account_id))
        .outerjoin(load, load.c.mentor_id == col(MentorProfile.account_id))
        .where(col(MentorProfile.account_id).in_(mentors))
        .where(col(MentorProfile.account_id).in_(active))
    )
    return [
        MentorCandidate(
            account_id=profile.account_id,
            pseudonym=account.pseudonym,
            languages=parse_languages(profile.languages),
            city=profile.city,
            region=profile.region,
            capacity=profile.capacity,
            current_load=int(current or 0),
            available=profile.available,
        )
        for profile, account, current in (await session.exec(statement)).all()
    ]


async def propose_mentor(
    session: AsyncSession,
    *,
    mentee: Mentee,
    also_excluded: set[uuid.UUID] | None = None,
) -> Mentorship | None:
    """Match a mentor and record the proposal; a Roots coordinator confirms it."""
    excluded = await safety_service.blocked_either_way(session, mentee.account_id)
    excluded |= also_excluded or set()
    chosen = choose_mentor(mentee, await _candidates(session), excluded)
    if chosen is None:
        return None
    mentorship = Mentorship(
        mentor_id=chosen.account_id,
        mentee_id=mentee.account_id,
        status=MentorshipStatus.PROPOSED,
        proposed_at=utc_now(),
    )
    session.add(mentorship)
    await session.flush()
    await audit.record(
        session,
        actor_id=None,
        action="mentorship.proposed",
        subject=f"account:{mentee.account_id}",
        details={"mentorship": str(mentorship.id), "mentor": str(chosen.account_id)},
    )
    return mentorship


async def get_mentorship(session: AsyncSession, mentorship_id: uuid.UUID) -> Mentorship:
    mentorship = await session.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound()
    return mentorship


async def access_mentorship(
    session: AsyncSession, actor_id: uuid.UUID, mentorship_id: uuid.UUID
) -> Mentorship:
    """The mentorship if the actor is its mentor or mentee; 404 otherwise."""
    mentorship = await session.get(Mentorship, mentorship_id)
    if mentorship is None or actor_id not in (mentorship.mentor_id, mentorship.mentee_id):
        raise NotFound()
    return mentorship


async def confirm_mentorship(
    session: AsyncSession,
    *,
    coordinator_id: uuid.UUID,
    mentorship_id: uuid.UUID,
    mentor_id: uuid.UUID | None,
    reason: str | None,
) -> Mentorship:
    """Confirm the proposed mentor, or override it with another one and a reason."""
    mentorship = await get_mentorship(session, mentorship_id)
    if mentorship.status != MentorshipStatus.PROPOSED:
        raise Conflict(f"This mentorship is {mentorship.status}, not proposed.")
    if mentor_id is not None and mentor_id != mentorship.mentor_id:
        if not reason:
            raise Conflict("Say why you choose another mentor than the one proposed.")
        if mentor_id == mentorship.mentee_id:
            raise Conflict("Nobody mentors herself.")
        if await safety_service.is_blocked_between(session, mentor_id, mentorship.mentee_id):
            raise Conflict("This mentor cannot be chosen for her.")
        grants = (
            await session.exec(select(RoleGrant.role).where(RoleGrant.account_id == mentor_id))
        ).all()
        if Role.MENTOR not in grants or Role.ACTIVE_MEMBER not in grants:
            raise Conflict("Only an active member who mentors can be chosen.")
        mentorship.mentor_id = mentor_id
        mentorship.override_reason = reason
    # The pair's private room opens with the mentorship.
    await room_rooms.open_mentoring_room(
        session, mentor_id=mentorship.mentor_id, mentee_id=mentorship.mentee_id
    )
    mentorship.status = MentorshipStatus.ACTIVE
    mentorship.confirmed_by = coordinator_id
    mentorship.confirmed_at = utc_now()
    session.add(mentorship)
    await session.flush()
    await audit.record(
        session,
        actor_id=coordinator_id,
        action="mentorship.confirmed",
        subject=f"account:{mentorship.mentee_id}",
        details={
            "mentorship": str(mentorship.id),
            "mentor": str(mentorship.mentor_id),
            "override_reason": reason if mentorship.override_reason else None,
        },
    )
    had_mentor = (
        await session.exec(
            select(Mentorship.id)
            .where(Mentorship.mentee_id == mentorship.mentee_id)
            .where(Mentorship.status == MentorshipStatus.ENDED)
        )
    ).first() is not None
    names = await _pseudonyms(session, mentorship.mentor_id, mentorship.mentee_id)
    await notify.mentor_assigned(
        session,
        mentee_id=mentorship.mentee_id,
        mentor_id=mentorship.mentor_id,
        mentee=names[mentorship.mentee_id],
        mentor=names[mentorship.mentor_id],
        changed=had_mentor,
    )
    return mentorship


async def _pseudonyms(session: AsyncSession, *ids: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = (await session.exec(select(Account).where(col(Account.id).in_(ids)))).all()
    found = {a.id: a.pseudonym for a in rows}
    return {i: found.get(i, "erased member") for i in ids}


async def end_mentorship(
    session: AsyncSession, *, actor_id: uuid.UUID, mentorship_id: uuid.UUID, reason: str
) -> Mentorship:
    mentorship = await access_mentorship(session, actor_id, mentorship_id)
    if mentorship.status == MentorshipStatus.ENDED:
        raise Conflict("This mentorship has ended already.")
    room = await room_rooms.find_mentoring_room(
        session, mentor_id=mentorship.mentor_id, mentee_id=mentorship.mentee_id
    )
    if room is not None:
        # Both leave the private room; what was written stays for safeguarding only.
        for person in (mentorship.mentor_id, mentorship.mentee_id):
            await room_rooms.remove_room_member(session, room_id=room.id, account_id=person)
    mentorship.status = MentorshipStatus.ENDED
    mentorship.ended_at = utc_now()
    mentorship.ended_by = actor_id
    mentorship.end_reason = reason
    session.add(mentorship)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="mentorship.ended",
        subject=f"account:{mentorship.mentee_id}",
        details={"mentorship": str(mentorship.id), "reason": reason},
    )
    if mentorship.confirmed_at is not None:
        # The other side hears it ended, not why; a proposal nobody confirmed was never news.
        names = await _pseudonyms(session, mentorship.mentor_id, mentorship.mentee_id)
        for person, other in (
            (mentorship.mentor_id, mentorship.mentee_id),
            (mentorship.mentee_id, mentorship.mentor_id),
        ):
            if person != actor_id:
                await notify.mentoring_ended(session, account_id=person, other=names[other])
    return mentorship


async def request_other_mentor(
    session: AsyncSession, *, mentee: Mentee, mentorship_id: uuid.UUID, reason: str
) -> Mentorship | None:
    """The mentee asks for a change: the current mentorship ends, another is proposed."""
    mentorship = await access_mentorship(session, mentee.account_id, mentorship_id)
    if mentorship.mentee_id != mentee.account_id:
        raise Forbidden("Only the mentee asks for another mentor.")
    previous = mentorship.mentor_id
    await end_mentorship(
        session,
        actor_id=mentee.account_id,
        mentorship_id=mentorship_id,
        reason=f"mentee asked for a change: {reason}",
    )
    return await propose_mentor(session, mentee=mentee, also_excluded={previous})


async def mentorships_of(session: AsyncSession, account_id: uuid.UUID) -> list[Mentorship]:
    statement = (
        select(Mentorship)
        .where((Mentorship.mentor_id == account_id) | (Mentorship.mentee_id == account_id))
        .order_by(col(Mentorship.proposed_at).desc())
    )
    return list((await session.exec(statement)).all())


async def list_proposed(session: AsyncSession) -> list[Mentorship]:
    statement = select(Mentorship).where(Mentorship.status == MentorshipStatus.PROPOSED)
    return list((await session.exec(statement)).all())
