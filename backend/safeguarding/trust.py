"""The chain of trust read from the membership tables, and the cascade after an infiltration."""

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import places
from backend.auth.dependencies import Actor
from backend.core import audit
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.membership import cards as card_service
from backend.membership import votes as vote_service
from backend.membership.models import (
    Application,
    ApplicationInterviewer,
    Ballot,
    Membership,
    Referral,
    Vote,
)
from backend.mentoring.models import Mentorship
from backend.room import messages as room_messages
from backend.safeguarding import access as case_access
from backend.safeguarding.models import ReviewMark
from moderation import trust
from moderation.trust import EdgeKind, TrustEdge

CASCADE_STEPS = 2


class DatabaseTrustSource:
    """moderation.trust.TrustSource over the membership and mentoring tables."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def edges_touching(self, accounts: Sequence[Hashable]) -> list[TrustEdge]:
        ids = [a for a in accounts if isinstance(a, uuid.UUID)]
        if not ids:
            return []
        edges: list[TrustEdge] = []
        referrals = await self.session.exec(
            select(Referral.referred_by, Referral.vouched_by, Referral.redeemed_by)
            .where(col(Referral.redeemed_by).is_not(None))
            .where(
                or_(
                    col(Referral.referred_by).in_(ids),
                    col(Referral.vouched_by).in_(ids),
                    col(Referral.redeemed_by).in_(ids),
                )
            )
        )
        for referred_by, vouched_by, redeemed_by in referrals.all():
            edges.append(TrustEdge(referred_by, redeemed_by, EdgeKind.REFERRED))
            if vouched_by != referred_by:
                edges.append(TrustEdge(vouched_by, redeemed_by, EdgeKind.VOUCHED))
        vouches = await self.session.exec(
            select(Membership.vouched_by, Membership.account_id)
            .where(col(Membership.vouched_by).is_not(None))
            .where(or_(col(Membership.vouched_by).in_(ids), col(Membership.account_id).in_(ids)))
        )
        for voucher, newcomer in vouches.all():
            edges.append(TrustEdge(voucher, newcomer, EdgeKind.VOUCHED))
        interviews = await self.session.exec(
            select(ApplicationInterviewer.interviewer_id, Application.applicant_id)
            .join(Application, col(Application.id) == col(ApplicationInterviewer.application_id))
            .where(
                or_(
                    col(ApplicationInterviewer.interviewer_id).in_(ids),
                    col(Application.applicant_id).in_(ids),
                )
            )
        )
        for interviewer, applicant in interviews.all():
            edges.append(TrustEdge(interviewer, applicant, EdgeKind.INTERVIEWED))
        # That she voted, never how: the choice column is not read.
        ballots = await self.session.exec(
            select(Ballot.voter_id, Application.applicant_id)
            .join(Vote, col(Vote.id) == col(Ballot.vote_id))
            .join(Application, col(Application.id) == col(Vote.application_id))
            .where(or_(col(Ballot.voter_id).in_(ids), col(Application.applicant_id).in_(ids)))
        )
        for voter, applicant in ballots.all():
            edges.append(TrustEdge(voter, applicant, EdgeKind.VOTED))
        mentorships = await self.session.exec(
            select(Mentorship.mentor_id, Mentorship.mentee_id).where(
                or_(col(Mentorship.mentor_id).in_(ids), col(Mentorship.mentee_id).in_(ids))
            )
        )
        for mentor, mentee in mentorships.all():
            edges.append(TrustEdge(mentor, mentee, EdgeKind.MENTORED))
        return list(dict.fromkeys(edges))


async def same_place_edges(session: AsyncSession, account_id: uuid.UUID) -> list[TrustEdge]:
    """Her links to accounts seen from the same place (auth/places.py), one step only: a
    shared network followed further would tie half a shelter together."""
    return [
        TrustEdge(account_id, link.account_id, EdgeKind.SAME_PLACE)
        for link in await places.linked_accounts(session, account_id)
    ]


@dataclass(frozen=True)
class TrustNode:
    account_id: uuid.UUID
    pseudonym: str
    status: str
    distance: int


@dataclass(frozen=True)
class TrustGraph:
    center: uuid.UUID
    nodes: list[TrustNode]
    edges: list[TrustEdge]


async def trust_graph(
    session: AsyncSession, actor: Actor, account_id: uuid.UUID, *, steps: int = CASCADE_STEPS
) -> TrustGraph:
    case_access.require_officer(actor)
    names = await room_messages.pseudonyms(session, [account_id])
    if account_id not in names:
        raise NotFound()
    edges = await trust.collect(DatabaseTrustSource(session), account_id, steps)
    edges += await same_place_edges(session, account_id)
    reach = trust.distances(edges, account_id)
    people = [p for p in reach if isinstance(p, uuid.UUID)]
    names = await room_messages.pseudonyms(session, people)
    statuses = dict(
        (
            await session.exec(
                select(Membership.account_id, Membership.status).where(
                    col(Membership.account_id).in_(people)
                )
            )
        ).all()
    )
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.trust_graph_read",
        subject=f"account:{account_id}",
    )
    nodes = [
        TrustNode(p, names.get(p, "an erased member"), statuses.get(p, "newcomer"), reach[p])
        for p in people
    ]
    return TrustGraph(
        center=account_id, nodes=sorted(nodes, key=lambda n: (n.distance, n.pseudonym)), edges=edges
    )


@dataclass(frozen=True)
class CascadeResult:
    marked_for_review: list[uuid.UUID]
    cards_revoked_for: list[uuid.UUID]
    votes_recounted: list[uuid.UUID]


async def plan_cascade(
    session: AsyncSession, actor: Actor, case_id: uuid.UUID
) -> tuple[trust.CascadePlan, list[uuid.UUID]]:
    case = await case_access.access_case(session, actor, case_id)
    if not case.infiltration_confirmed or case.target_account_id is None:
        raise Conflict("The cascade follows a case decided as a confirmed infiltration.")
    infiltrator = case.target_account_id
    edges = await trust.collect(DatabaseTrustSource(session), infiltrator, CASCADE_STEPS)
    edges += await same_place_edges(session, infiltrator)
    plan = trust.cascade(edges, infiltrator, steps=CASCADE_STEPS)
    open_votes = (
        await session.exec(
            select(Vote.id)
            .join(Ballot, col(Ballot.vote_id) == col(Vote.id))
            .where(Ballot.voter_id == infiltrator)
            .where(col(Vote.closed_at).is_(None))
        )
    ).all()
    return plan, list(open_votes)


async def apply_cascade(session: AsyncSession, actor: Actor, case_id: uuid.UUID) -> CascadeResult:
    """One action: everyone within two steps goes under review, the cards her interviews
    and ballots helped issue are revoked pending review, and her open ballots are voided."""
    plan, _ = await plan_cascade(session, actor, case_id)
    case = await case_access.access_case(session, actor, case_id)
    infiltrator = case.target_account_id
    if infiltrator is None:
        raise Conflict("The cascade follows a case about a person.")
    edges = await trust.collect(DatabaseTrustSource(session), infiltrator, CASCADE_STEPS)
    reach = trust.distances(edges, infiltrator)
    marked: list[uuid.UUID] = []
    for account_id in sorted(plan.review, key=str):
        if not isinstance(account_id, uuid.UUID):
            continue
        exists = (
            await session.exec(
                select(ReviewMark)
                .where(ReviewMark.case_id == case.id)
                .where(ReviewMark.account_id == account_id)
            )
        ).first()
        if exists is None:
            session.add(
                ReviewMark(
                    case_id=case.id,
                    account_id=account_id,
                    distance=reach[account_id],
                    marked_by=actor.account.id,
                    marked_at=utc_now(),
                )
            )
            marked.append(account_id)
    await session.flush()
    revoked: list[uuid.UUID] = []
    for account_id in sorted(plan.admitted_with_help, key=str):
        if not isinstance(account_id, uuid.UUID):
            continue
        count = await card_service.revoke_cards_of(
            session,
            actor_id=actor.account.id,
            account_id=account_id,
            reason="pending review after a confirmed infiltration",
        )
        if count:
            revoked.append(account_id)
    recounted = await vote_service.void_open_ballots_of(
        session,
        officer_id=actor.account.id,
        voter_id=infiltrator,
        reason="confirmed infiltration",
    )
    await audit.record(
        session,
        actor_id=actor.account.id,
        action="safety.cascade_applied",
        subject=f"case:{case.id}",
        details={
            "review": len(marked),
            "cards_revoked": len(revoked),
            "votes_recounted": len(recounted),
        },
    )
    return CascadeResult(
        marked_for_review=marked, cards_revoked_for=revoked, votes_recounted=recounted
    )


async def under_review(session: AsyncSession, actor: Actor) -> list[tuple[ReviewMark, str]]:
    case_access.require_officer(actor)
    rows = list(
        (
            await session.exec(
                select(ReviewMark)
                .where(col(ReviewMark.cleared_at).is_(None))
                .order_by(col(ReviewMark.marked_at), col(ReviewMark.distance))
            )
        ).all()
    )
    names = await room_messages.pseudonyms(session, [r.account_id for r in rows])
    return [(r, names.get(r.account_id, "an erased member")) for r in rows]
