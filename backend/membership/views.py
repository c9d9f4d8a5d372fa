"""Read models shared by the API and the pages: what someone may see of a vote or a report.

Each view is built here once, so the JSON routes and the pages cannot drift apart on what
they show (the rule) and differ only in how they show it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability, Grants
from backend.auth.models import Account
from backend.core.erasure import ERASED_NAME
from backend.core.errors import NotFound
from backend.membership import access as membership_access
from backend.membership import applications as application_service
from backend.membership import rules
from backend.membership import status as status_service
from backend.membership import votes as vote_service
from backend.membership.models import Ballot, Membership, MemberStatus, Vote


@dataclass(frozen=True)
class VoteView:
    vote: Vote
    applicant: str
    tally: rules.Tally
    show_tally: bool
    i_may_vote: bool
    i_recused: bool
    my_choice: str | None


async def view_vote(
    session: AsyncSession, *, actor_id: uuid.UUID, grants: Grants, vote_id: uuid.UUID
) -> VoteView:
    """What the actor may see of a vote: turnout always; outcome after close; the exact
    tally only above the minimum number of ballots; her own ballot; never anyone else's."""
    found = await membership_access.access_vote(session, actor_id, grants, vote_id)
    vote, voter = found.vote, found.voter
    tally = await vote_service.tally_of(session, vote)
    ballot = (
        await session.exec(
            select(Ballot).where(Ballot.vote_id == vote.id).where(Ballot.voter_id == actor_id)
        )
    ).first()
    return VoteView(
        vote=vote,
        applicant=(
            await status_service.get_account(session, found.application.applicant_id)
        ).pseudonym,
        tally=tally,
        show_tally=vote.closed_at is not None
        and rules.tally_may_be_shown(tally, vote.min_ballots_for_tally),
        i_may_vote=voter is not None and voter.recused_at is None and vote.closed_at is None,
        i_recused=voter is not None and voter.recused_at is not None,
        my_choice=ballot.choice if ballot else None,
    )


async def open_votes_she_may_see(
    session: AsyncSession, *, actor_id: uuid.UUID, grants: Grants
) -> list[VoteView]:
    """Open votes, soonest deadline first, among those she may read (none without the
    membership:vote capability)."""
    if not grants.can(Capability.MEMBERSHIP_VOTE):
        return []
    shown = []
    for vote in await vote_service.list_open_votes(session):
        try:
            shown.append(
                await view_vote(session, actor_id=actor_id, grants=grants, vote_id=vote.id)
            )
        except NotFound:
            continue
    return shown


async def votes_waiting_for_her(
    session: AsyncSession, *, actor_id: uuid.UUID, grants: Grants
) -> list[VoteView]:
    """Open votes where her ballot is still missing and she has not stepped aside."""
    views = await open_votes_she_may_see(session, actor_id=actor_id, grants=grants)
    return [v for v in views if v.i_may_vote and v.my_choice is None]


@dataclass(frozen=True)
class AssessmentView:
    criterion_id: uuid.UUID
    criterion: str
    assessment: str
    comment: str


@dataclass(frozen=True)
class ReportView:
    written_by: str
    written_at: datetime
    summary: str
    assessments: list[AssessmentView]


async def _shown_name(session: AsyncSession, account_id: uuid.UUID) -> str:
    # An erased author keeps her place in the chain of trust (the row points at her
    # account) but is shown as messages show her: "erased member", never by any name.
    account = await session.get(Account, account_id)
    membership = await session.get(Membership, account_id)
    if account is None or (membership is not None and membership.status == MemberStatus.ERASED):
        return ERASED_NAME
    return account.pseudonym


async def report_view(session: AsyncSession, application_id: uuid.UUID) -> ReportView | None:
    """The interview report, for whoever access_application allowed to read it."""
    found = await application_service.report_of(session, application_id)
    if found is None:
        return None
    report, assessments = found
    return ReportView(
        written_by=await _shown_name(session, report.written_by),
        written_at=report.written_at,
        summary=report.summary,
        assessments=[
            AssessmentView(
                criterion_id=c.id, criterion=c.title, assessment=a.assessment, comment=a.comment
            )
            for a, c in assessments
        ],
    )
