"""Who may act on a case: officers only, and never one close to the people it concerns
(conflict of interest, moderation/cases.py)."""

import uuid
from collections.abc import Sequence

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor
from backend.core.denials import PrivilegedActionDenied
from backend.core.errors import NotFound
from backend.membership.models import Membership, Referral
from backend.mentoring.models import Mentorship
from backend.safeguarding.models import (
    SafetyCase,
    SafetyReport,
)
from moderation import cases as case_rules
from moderation.cases import CaseParties


async def _links_by_person(
    session: AsyncSession, people: set[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """For each person, everyone tied to her by a mentorship, a used referral or a vouch."""
    links: dict[uuid.UUID, set[uuid.UUID]] = {p: set() for p in people}
    if not people:
        return links

    def tie(group: tuple[uuid.UUID, ...]) -> None:
        for person in group:
            if person in links:
                links[person].update(other for other in group if other != person)

    mentorships = await session.exec(
        select(Mentorship.mentor_id, Mentorship.mentee_id).where(
            or_(col(Mentorship.mentor_id).in_(people), col(Mentorship.mentee_id).in_(people))
        )
    )
    for pair in mentorships.all():
        tie(tuple(pair))
    referrals = await session.exec(
        select(Referral.referred_by, Referral.vouched_by, Referral.redeemed_by)
        .where(col(Referral.redeemed_by).is_not(None))
        .where(
            or_(
                col(Referral.referred_by).in_(people),
                col(Referral.vouched_by).in_(people),
                col(Referral.redeemed_by).in_(people),
            )
        )
    )
    for referred_by, vouched_by, redeemed_by in referrals.all():
        if redeemed_by is not None:
            tie((referred_by, vouched_by, redeemed_by))
    vouches = await session.exec(
        select(Membership.vouched_by, Membership.account_id)
        .where(col(Membership.vouched_by).is_not(None))
        .where(or_(col(Membership.vouched_by).in_(people), col(Membership.account_id).in_(people)))
    )
    for voucher, newcomer in vouches.all():
        if voucher is not None:
            tie((voucher, newcomer))
    return links


async def parties_of(
    session: AsyncSession, cases: Sequence[SafetyCase]
) -> dict[uuid.UUID, CaseParties]:
    """Who each case concerns and who is close to them: three queries for any number."""
    reporters: dict[uuid.UUID, set[uuid.UUID]] = {c.id: set() for c in cases}
    if cases:
        rows = await session.exec(
            select(SafetyReport.case_id, SafetyReport.reporter_id)
            .where(col(SafetyReport.case_id).in_(list(reporters)))
            .where(col(SafetyReport.reporter_id).is_not(None))
        )
        for case_id, reporter_id in rows.all():
            if reporter_id is not None:
                reporters[case_id].add(reporter_id)
    targets = {c.id: {c.target_account_id} if c.target_account_id else set() for c in cases}
    everyone = set().union(*targets.values(), *reporters.values()) if cases else set()
    links = await _links_by_person(session, everyone)
    parties = {}
    for case in cases:
        people = targets[case.id] | reporters[case.id]
        linked = set().union(*(links[p] for p in people)) - people if people else set()
        parties[case.id] = CaseParties(
            targets=frozenset(targets[case.id]),
            reporters=frozenset(reporters[case.id]),
            linked=frozenset(linked),
        )
    return parties


async def case_parties(session: AsyncSession, case: SafetyCase) -> CaseParties:
    return (await parties_of(session, [case]))[case.id]


def require_officer(actor: Actor) -> None:
    if not actor.can(Capability.SAFETY_REVIEW):
        raise PrivilegedActionDenied(
            "You do not have permission to do this.",
            actor_id=actor.account.id,
            attempted=Capability.SAFETY_REVIEW,
            code="missing_capability",
        )


async def access_case(session: AsyncSession, actor: Actor, case_id: uuid.UUID) -> SafetyCase:
    """A case an officer may handle. One she is part of answers as if it did not exist."""
    require_officer(actor)
    case = await session.get(SafetyCase, case_id)
    if case is None:
        raise NotFound()
    if case_rules.has_conflict(actor.account.id, await case_parties(session, case)):
        raise NotFound()
    return case
