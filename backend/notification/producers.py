"""One function per event, called by the service that takes the decision, in its
transaction. The deciding service chooses the recipients (it knows its rules); these
functions choose the words and the link, and keep out what must never be in a
notification: a ballot, a reporter, a sealed field, anyone's presence.

Adding a producer: add a ``Kind`` (and to ``SAFETY_KINDS`` if it must not be switched
off) and a template in catalogue.py, write a function here that calls ``service.notify``,
call it from the deciding service, and test who gets it and who does not.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.notification.catalogue import Kind
from backend.notification.models import Notification
from backend.notification.service import notify
from backend.room import messages as room_messages

Ids = Iterable[uuid.UUID]

# ---------------------------------------------------------------- membership


async def application_needs_interviewers(
    session: AsyncSession, *, recipients: Ids, applicant: str, application_id: uuid.UUID
) -> list[Notification]:
    return await notify(
        session,
        recipients,
        kind=Kind.APPLICATION_NEEDS_INTERVIEWERS,
        template="application.needs_interviewers",
        params={"applicant": applicant},
        link=f"/applications/{application_id}",
    )


async def interviewer_assigned(
    session: AsyncSession, *, interviewers: Ids, applicant: str, application_id: uuid.UUID
) -> list[Notification]:
    return await notify(
        session,
        interviewers,
        kind=Kind.INTERVIEWER_ASSIGNED,
        template="application.interviewer_assigned",
        params={"applicant": applicant},
        link=f"/applications/{application_id}",
    )


async def vote_opened(
    session: AsyncSession, *, voters: Ids, applicant: str, vote_id: uuid.UUID, deadline: datetime
) -> list[Notification]:
    return await notify(
        session,
        voters,
        kind=Kind.VOTE_OPENED,
        template="vote.opened",
        params={"applicant": applicant, "deadline_at": deadline.isoformat()},
        link=f"/votes/{vote_id}",
    )


async def ballot_reminder(
    session: AsyncSession, *, voters: Ids, applicant: str, vote_id: uuid.UUID, deadline: datetime
) -> list[Notification]:
    """Once per vote and voter, whoever runs the scheduled work and however often."""
    return await notify(
        session,
        voters,
        kind=Kind.VOTE_REMINDER,
        template="vote.reminder",
        params={"applicant": applicant, "deadline_at": deadline.isoformat()},
        link=f"/votes/{vote_id}",
        dedupe_key=f"vote-reminder:{vote_id}",
    )


async def vote_outcome(
    session: AsyncSession,
    *,
    applicant_id: uuid.UUID,
    roots: Ids,
    applicant: str,
    application_id: uuid.UUID,
    vote_id: uuid.UUID,
    outcome: str,
    tally: tuple[int, int, int] | None,
) -> list[Notification]:
    """The applicant learns the outcome only; Roots learn the outcome, and the tally
    (yes, no, abstain) when the caller passes it, i.e. above the minimum of ballots."""
    told = await notify(
        session,
        [applicant_id],
        kind=Kind.VOTE_OUTCOME,
        template=f"vote.outcome.applicant.{outcome}",
        link=f"/applications/{application_id}",
    )
    params: dict[str, object] = {"applicant": applicant, "outcome": outcome}
    template = "vote.outcome.roots"
    if tally is not None:
        template = "vote.outcome.roots.tally"
        params.update(yes=tally[0], no=tally[1], abstain=tally[2])
    told += await notify(
        session,
        [r for r in roots if r != applicant_id],
        kind=Kind.VOTE_OUTCOME,
        template=template,
        params=params,
        link=f"/votes/{vote_id}",
    )
    return told


async def card_issued(session: AsyncSession, *, account_id: uuid.UUID) -> list[Notification]:
    return await notify(
        session, [account_id], kind=Kind.CARD_ISSUED, template="card.issued", link="/card"
    )


async def card_expiring(
    session: AsyncSession, *, account_id: uuid.UUID, card_number: str, expires_at: datetime
) -> list[Notification]:
    return await notify(
        session,
        [account_id],
        kind=Kind.CARD_EXPIRING,
        template="card.expiring",
        params={"expires_at": expires_at.isoformat()},
        link="/card",
        dedupe_key=f"card-expiring:{card_number}",
    )


async def card_revoked(session: AsyncSession, *, account_id: uuid.UUID) -> list[Notification]:
    """Safety-relevant: cannot be switched off. Never says who asked or why."""
    return await notify(
        session, [account_id], kind=Kind.CARD_REVOKED, template="card.revoked", link="/card"
    )


# ---------------------------------------------------------------- mentoring


async def mentor_assigned(
    session: AsyncSession,
    *,
    mentee_id: uuid.UUID,
    mentor_id: uuid.UUID,
    mentee: str,
    mentor: str,
    changed: bool,
) -> list[Notification]:
    """Both sides of a confirmed mentorship; ``changed`` when she had a mentor before."""
    told = await notify(
        session,
        [mentee_id],
        kind=Kind.MENTOR_CHANGED if changed else Kind.MENTOR_ASSIGNED,
        template="mentoring.changed" if changed else "mentoring.assigned.mentee",
        params={"mentor": mentor},
        link="/mentoring",
    )
    told += await notify(
        session,
        [mentor_id],
        kind=Kind.MENTOR_ASSIGNED,
        template="mentoring.assigned.mentor",
        params={"mentee": mentee},
        link="/mentoring",
    )
    return told


async def mentoring_ended(
    session: AsyncSession, *, account_id: uuid.UUID, other: str
) -> list[Notification]:
    """To the side that did not end it; the reason stays out."""
    return await notify(
        session,
        [account_id],
        kind=Kind.MENTORING_ENDED,
        template="mentoring.ended",
        params={"other": other},
        link="/mentoring",
    )


# ---------------------------------------------------------------- rooms


async def room_mention(session: AsyncSession, mentions: room_messages.Mentions) -> None:
    """Members named in a message, unless the room is set to nothing or a block stands
    between them (the room service chose them); only room members ever hear of it."""
    await notify(
        session,
        mentions.account_ids,
        kind=Kind.ROOM_MENTION,
        template="room.mention",
        params={"author": mentions.author_pseudonym, "room": mentions.room_name},
        link=f"/rooms/{mentions.room_id}?seq={mentions.seq}",
    )


async def session_tomorrow(
    session: AsyncSession,
    *,
    recipients: Ids,
    room_id: uuid.UUID,
    room_name: str,
    session_id: uuid.UUID,
    starts_at: datetime,
) -> list[Notification]:
    return await notify(
        session,
        recipients,
        kind=Kind.SESSION_TOMORROW,
        template="session.tomorrow",
        params={"room": room_name, "starts_at": starts_at.isoformat()},
        link=f"/rooms/{room_id}/sessions/{session_id}",
        dedupe_key=f"session:{session_id}",
    )


# ---------------------------------------------------------------- paid peer work

# The peer-work notices (peerwork.notices.NOTICE_TEXT) and where they land in the feed.
PEERWORK_NOTICES: dict[str, tuple[Kind, str, str]] = {
    "invitation": (Kind.PEERWORK_INVITATION, "peerwork.invitation", "/peerwork"),
    "schedule_ready": (Kind.ROSTER_PUBLISHED, "peerwork.roster_published", "/peerwork/shifts"),
    "schedule_changed": (Kind.SHIFT_CHANGED, "peerwork.shift_changed", "/peerwork/shifts"),
    "swap_asked": (Kind.SHIFT_SWAP, "peerwork.swap_asked", "/peerwork/swaps"),
    "swap_answered": (Kind.SHIFT_SWAP, "peerwork.swap_answered", "/peerwork/swaps"),
    "swap_to_approve": (Kind.SHIFT_SWAP, "peerwork.swap_to_approve", "/peerwork/swaps"),
    "hours_reviewed": (Kind.HOURS_REVIEWED, "peerwork.hours_reviewed", "/peerwork/timesheets"),
    "talk_requested": (Kind.TALK_REQUESTED, "peerwork.talk_requested", "/peerwork/debriefs"),
    "no_supervisor": (Kind.TEAM_NOTICE, "peerwork.no_supervisor", "/peerwork/team"),
}


async def peerwork_notice(
    session: AsyncSession, *, account_id: uuid.UUID, notice_kind: str
) -> list[Notification]:
    kind, template, link = PEERWORK_NOTICES[notice_kind]
    return await notify(session, [account_id], kind=kind, template=template, link=link)


async def debrief_due(
    session: AsyncSession, *, account_id: uuid.UUID, assignment_id: uuid.UUID, starts_at: datetime
) -> list[Notification]:
    return await notify(
        session,
        [account_id],
        kind=Kind.DEBRIEF_DUE,
        template="peerwork.debrief_due",
        params={"starts_at": starts_at.isoformat()},
        link=f"/peerwork/debriefs/new?assignment={assignment_id}",
        dedupe_key=f"debrief:{assignment_id}",
    )


# ---------------------------------------------------------------- safety (wired by safety)


async def report_status_changed(
    session: AsyncSession, *, reporter_id: uuid.UUID, status: str
) -> list[Notification]:
    """To the reporter only, status only: never the reported person, never the outcome."""
    return await notify(
        session,
        [reporter_id],
        kind=Kind.REPORT_STATUS,
        template="safety.report_status",
        params={"status": status},
        link="/safety/my-reports",
    )


async def restriction_applied(
    session: AsyncSession, *, account_id: uuid.UUID, restrictions: list[str]
) -> list[Notification]:
    """``restrictions``: ``moderation.restrictions.Effect`` values, translated by
    catalogue.WORDS["restriction"]. Cannot be switched off."""
    return await notify(
        session,
        [account_id],
        kind=Kind.RESTRICTION_APPLIED,
        template="safety.restriction_applied",
        params={"restriction": restrictions},
        link="/safety/my-account",
    )


async def restriction_lifted(
    session: AsyncSession, *, account_id: uuid.UUID, restrictions: list[str]
) -> list[Notification]:
    return await notify(
        session,
        [account_id],
        kind=Kind.RESTRICTION_LIFTED,
        template="safety.restriction_lifted",
        params={"restriction": restrictions},
        link="/safety/my-account",
    )


def install() -> None:
    """Hook the producers that a lower layer (rooms) calls back; run once per process."""
    room_messages.on_mentions(room_mention)
