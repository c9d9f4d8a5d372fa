"""The Roots vote: opening, ballots, recusal, closing, reminders."""

import json
import uuid
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.membership import agreements as agreement_service
from backend.membership import applications as application_service
from backend.membership import approval as approval_service
from backend.membership import errors as membership_errors
from backend.membership import rules
from backend.membership import settings as membership_settings
from backend.membership import status as status_service
from backend.membership.approval import CloseContext
from backend.membership.models import (
    AgreementKind,
    ApplicationStatus,
    Ballot,
    Membership,
    MemberStatus,
    Vote,
    VoteOutcome,
    VoteVoter,
)
from backend.notification import producers as notify
from backend.safety import service as safety_service

# Voters who have not voted hear this long before the deadline.
BALLOT_REMINDER_BEFORE = timedelta(hours=24)


async def open_vote(
    session: AsyncSession,
    *,
    coordinator_id: uuid.UUID,
    application_id: uuid.UUID,
    deadline: datetime | None,
) -> Vote:
    """Open the Roots vote and freeze its voters: active members for long enough, not her.

    Locks the application: two coordinators opening at once get one vote.
    """
    application = await application_service.lock_application(session, application_id)
    rerun = application.status == ApplicationStatus.NO_QUORUM
    if rerun and application.votes_held >= 2:
        raise Conflict("A vote without quorum can be re-run once only.")
    if application.status != ApplicationStatus.INTERVIEWING and not rerun:
        raise Conflict(f"This application is {application.status}; no vote can open.")
    if await application_service.report_of(session, application.id) is None:
        raise Conflict("The interview report must be written before the vote opens.")
    active_rules = await agreement_service.current_version(
        session, AgreementKind.ACTIVE_MEMBER_RULES
    )
    if active_rules is None:
        raise Conflict("Publish the active-member rules before opening votes.")
    kind = AgreementKind.ACTIVE_MEMBER_RULES
    if (
        await agreement_service.signature_of(session, application.applicant_id, kind, active_rules)
        is None
    ):
        raise Conflict("The applicant has not signed the active-member rules yet.")
    community_rules = await membership_settings.get_rules(session)
    now = utc_now()
    deadline = deadline or now + timedelta(days=community_rules.vote_days)
    if deadline <= now + timedelta(hours=1):
        raise InvalidInput(
            "The deadline must be at least an hour away.", fields={"deadline": "Too soon."}
        )
    seniority = now - timedelta(days=community_rules.min_active_days_to_vote)
    voters = (
        await session.exec(
            select(Membership.account_id)
            .where(Membership.status == MemberStatus.ACTIVE)
            .where(col(Membership.active_since) <= seniority)
            .where(Membership.account_id != application.applicant_id)
        )
    ).all()
    if not voters:
        raise Conflict("Nobody is eligible to vote yet.")
    vote = Vote(
        application_id=application.id,
        opened_by=coordinator_id,
        opened_at=now,
        deadline=deadline,
        quorum_percent=community_rules.quorum_percent,
        threshold_percent=community_rules.threshold_percent,
        min_ballots_for_tally=community_rules.min_ballots_for_tally,
    )
    session.add(vote)
    await session.flush()
    # A block either way is a conflict: that voter is recused from the start, and says so
    # to nobody but the tally's recusal count.
    blocked = await safety_service.blocked_either_way(session, application.applicant_id)
    session.add_all(
        VoteVoter(
            vote_id=vote.id,
            account_id=v,
            recused_at=now if v in blocked else None,
            recusal_reason="block" if v in blocked else None,
        )
        for v in voters
    )
    application.status = ApplicationStatus.VOTING
    application.votes_held += 1
    session.add(application)
    await session.flush()
    await audit.record(
        session,
        actor_id=coordinator_id,
        action="vote.opened",
        subject=f"application:{application.id}",
        details={"vote": str(vote.id), "voters": len(voters), "deadline": deadline.isoformat()},
    )
    await notify.vote_opened(
        session,
        voters=voters,
        applicant=(await status_service.get_account(session, application.applicant_id)).pseudonym,
        vote_id=vote.id,
        deadline=deadline,
    )
    return vote


async def tally_of(session: AsyncSession, vote: Vote) -> rules.Tally:
    counts = dict(
        (
            await session.exec(
                select(Ballot.choice, func.count())
                .where(Ballot.vote_id == vote.id)
                .group_by(col(Ballot.choice))
            )
        ).all()
    )
    eligible = int(
        (await session.exec(select(func.count()).where(VoteVoter.vote_id == vote.id))).one()
    )
    recused = int(
        (
            await session.exec(
                select(func.count())
                .where(VoteVoter.vote_id == vote.id)
                .where(col(VoteVoter.recused_at).is_not(None))
            )
        ).one()
    )
    return rules.Tally(
        yes=int(counts.get("yes", 0)),
        no=int(counts.get("no", 0)),
        abstain=int(counts.get("abstain", 0)),
        eligible=eligible,
        recused=recused,
    )


async def void_open_ballots_of(
    session: AsyncSession, *, officer_id: uuid.UUID, voter_id: uuid.UUID, reason: str
) -> list[uuid.UUID]:
    """Void her ballots in votes still open: the ballot is removed and she is recused, so
    the vote counts as if she had never been a voter. Returns the votes touched."""
    statement = (
        select(Ballot, Vote)
        .join(Vote, col(Vote.id) == col(Ballot.vote_id))
        .where(Ballot.voter_id == voter_id)
        .where(col(Vote.closed_at).is_(None))
    )
    touched: list[uuid.UUID] = []
    for ballot, vote in (await session.exec(statement)).all():
        await session.delete(ballot)
        voter = (
            await session.exec(
                select(VoteVoter)
                .where(VoteVoter.vote_id == vote.id)
                .where(VoteVoter.account_id == voter_id)
            )
        ).first()
        if voter is not None:
            voter.recused_at = utc_now()
            voter.recusal_reason = "ballot voided by safeguarding"
            session.add(voter)
        touched.append(vote.id)
        await audit.record(
            session,
            actor_id=officer_id,
            action="vote.ballot_voided",
            subject=f"vote:{vote.id}",
            details={"reason": reason},
        )
    await session.flush()
    return touched


async def close_vote_if_due(
    session: AsyncSession, vote_id: uuid.UUID, context: CloseContext
) -> Vote:
    """Close the vote if its deadline passed or everyone voted, and act on the outcome.

    Locks the vote row first: two closes racing (a request and the background task) give
    one outcome, and approval runs once. Lazy close on read and the task give the same
    result because both call this.
    """
    vote = (await session.exec(select(Vote).where(Vote.id == vote_id).with_for_update())).first()
    if vote is None:
        raise NotFound()
    if vote.closed_at is not None:
        return vote
    tally = await tally_of(session, vote)
    now = utc_now()
    if now < vote.deadline and not rules.everyone_has_voted(tally):
        return vote
    outcome = rules.outcome_of(tally, vote.quorum_percent, vote.threshold_percent)
    # Closed late (lazily, on read) or by the task, a vote closes at its deadline.
    vote.closed_at = vote.deadline if now >= vote.deadline else now
    vote.outcome = outcome
    vote.yes_count, vote.no_count, vote.abstain_count = tally.yes, tally.no, tally.abstain
    vote.eligible_count, vote.recused_count = tally.eligible, tally.recused
    session.add(vote)
    application = await application_service.lock_application(session, vote.application_id)
    application.status = {
        VoteOutcome.APPROVED: ApplicationStatus.APPROVED,
        VoteOutcome.REJECTED: ApplicationStatus.REJECTED,
        VoteOutcome.NO_QUORUM: ApplicationStatus.NO_QUORUM,
    }[outcome]
    application.decided_at = now
    session.add(application)
    await session.flush()
    await audit.record(
        session,
        actor_id=None,
        action="vote.closed",
        subject=f"application:{application.id}",
        details={"vote": str(vote.id), "outcome": outcome, "ballots": tally.ballots},
    )
    voters = (
        await session.exec(select(VoteVoter.account_id).where(VoteVoter.vote_id == vote.id))
    ).all()
    await notify.vote_outcome(
        session,
        applicant_id=application.applicant_id,
        roots=set(voters) | await application_service.roots_coordinators(session),
        applicant=(await status_service.get_account(session, application.applicant_id)).pseudonym,
        application_id=application.id,
        vote_id=vote.id,
        outcome=outcome,
        tally=(tally.yes, tally.no, tally.abstain)
        if rules.tally_may_be_shown(tally, vote.min_ballots_for_tally)
        else None,
    )
    if outcome == VoteOutcome.APPROVED:
        await approval_service.approve_applicant(session, application, context)
    elif outcome == VoteOutcome.REJECTED or application.votes_held >= 2:
        await status_service.change_status(
            session,
            actor_id=None,
            account_id=application.applicant_id,
            target=MemberStatus.MEMBER,
            reason=f"vote outcome: {outcome}",
        )
    return vote


async def close_if_overdue(
    session: AsyncSession, vote_id: uuid.UUID, context: CloseContext
) -> None:
    """Reading a vote past its deadline closes it (lazy close), so a reader never sees an
    open vote that should have closed. Needs a write transaction.

    Only an overdue vote is closed here, through close_vote_if_due, which locks its row; a
    vote that is not overdue (or absent) is left for the caller's access check to answer.
    """
    vote = await session.get(Vote, vote_id)
    if vote is not None and vote.closed_at is None and utc_now() >= vote.deadline:
        await close_vote_if_due(session, vote_id, context)


async def get_voter(
    session: AsyncSession, vote_id: uuid.UUID, account_id: uuid.UUID
) -> VoteVoter | None:
    statement = (
        select(VoteVoter)
        .where(VoteVoter.vote_id == vote_id)
        .where(VoteVoter.account_id == account_id)
    )
    return (await session.exec(statement)).first()


async def cast_ballot(
    session: AsyncSession,
    *,
    voter_id: uuid.UUID,
    vote_id: uuid.UUID,
    choice: str,
    notes: dict[uuid.UUID, str],
    context: CloseContext,
) -> Vote:
    """Cast or change a ballot until the vote closes. One ballot per voter."""
    vote = await close_vote_if_due(session, vote_id, context)
    voter = await get_voter(session, vote.id, voter_id)
    if voter is None:
        raise membership_errors.NotAVoter(
            "You are not among this vote's voters (the list was fixed when it opened)."
        )
    if vote.closed_at is not None:
        raise membership_errors.VoteClosed()
    if voter.recused_at is not None:
        raise Conflict("You recused yourself from this vote.")
    await agreement_service.require_current_signature(
        session, voter_id, AgreementKind.COMMUNITY_RULES
    )
    await agreement_service.require_current_signature(
        session, voter_id, AgreementKind.ACTIVE_MEMBER_RULES
    )
    criteria = {c.id for c in await agreement_service.list_criteria(session)}
    if unknown := set(notes) - criteria:
        raise InvalidInput(
            "A note names a criterion that does not exist.",
            fields={"notes": f"Unknown criteria: {', '.join(map(str, unknown))}."},
        )
    ballot = (
        await session.exec(
            select(Ballot).where(Ballot.vote_id == vote.id).where(Ballot.voter_id == voter_id)
        )
    ).first()
    ballot = ballot or Ballot(vote_id=vote.id, voter_id=voter_id, choice=choice, cast_at=utc_now())
    ballot.choice = choice
    ballot.notes = json.dumps({str(k): v for k, v in notes.items()})
    ballot.cast_at = utc_now()
    session.add(ballot)
    await session.flush()
    await status_service.note_participation(session, voter_id)
    # Which way is never logged: only that a ballot was cast.
    await audit.record(
        session, actor_id=voter_id, action="vote.ballot_cast", subject=f"vote:{vote.id}"
    )
    return await close_vote_if_due(session, vote.id, context)


async def recuse(
    session: AsyncSession,
    *,
    voter_id: uuid.UUID,
    vote_id: uuid.UUID,
    reason: str,
    context: CloseContext,
) -> Vote:
    vote = await close_vote_if_due(session, vote_id, context)
    voter = await get_voter(session, vote.id, voter_id)
    if voter is None:
        raise membership_errors.NotAVoter("You are not among this vote's voters.")
    if vote.closed_at is not None:
        raise membership_errors.VoteClosed()
    voter.recused_at = utc_now()
    voter.recusal_reason = reason
    session.add(voter)
    ballot = (
        await session.exec(
            select(Ballot).where(Ballot.vote_id == vote.id).where(Ballot.voter_id == voter_id)
        )
    ).first()
    if ballot is not None:
        await session.delete(ballot)
    await session.flush()
    await audit.record(
        session,
        actor_id=voter_id,
        action="vote.recused",
        subject=f"vote:{vote.id}",
        details={"reason": reason},
    )
    return await close_vote_if_due(session, vote.id, context)


async def list_open_votes(session: AsyncSession) -> list[Vote]:
    statement = select(Vote).where(col(Vote.closed_at).is_(None)).order_by(col(Vote.deadline))
    return list((await session.exec(statement)).all())


async def latest_vote(session: AsyncSession, application_id: uuid.UUID) -> Vote | None:
    statement = (
        select(Vote)
        .where(Vote.application_id == application_id)
        .order_by(col(Vote.opened_at).desc())
    )
    return (await session.exec(statement)).first()


async def remind_voters(session: AsyncSession) -> int:
    """Voters who have not voted, from 24 hours before the deadline; once per vote and
    voter (the producer's dedupe key). Recused voters and the applicant never get it."""
    now = utc_now()
    reminded = 0
    for vote in await list_open_votes(session):
        if not vote.deadline - BALLOT_REMINDER_BEFORE <= now < vote.deadline:
            continue
        voted = select(Ballot.voter_id).where(Ballot.vote_id == vote.id)
        pending = (
            await session.exec(
                select(VoteVoter.account_id)
                .where(VoteVoter.vote_id == vote.id)
                .where(col(VoteVoter.recused_at).is_(None))
                .where(col(VoteVoter.account_id).not_in(voted))
            )
        ).all()
        application = await application_service.get_application(session, vote.application_id)
        reminded += len(
            await notify.ballot_reminder(
                session,
                voters=[v for v in pending if v != application.applicant_id],
                applicant=(
                    await status_service.get_account(session, application.applicant_id)
                ).pseudonym,
                vote_id=vote.id,
                deadline=vote.deadline,
            )
        )
    return reminded
