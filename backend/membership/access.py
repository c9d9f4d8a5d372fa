"""The only way to load an application or a vote on someone's behalf.

Each function answers the same NotFound for "absent" and "not yours", so nobody can learn
by probing ids that someone applied or that a vote about her is running.
"""

import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Capability, Grants
from backend.core.errors import NotFound
from backend.membership import applications as application_service
from backend.membership import votes as vote_service
from backend.membership.models import Application, Vote, VoteVoter


async def access_application(
    session: AsyncSession, actor_id: uuid.UUID, grants: Grants, application_id: uuid.UUID
) -> tuple[Application, bool]:
    """The application and whether the actor may read its report (Roots and safeguarding).

    The applicant sees her own application without the report; anyone else without the
    membership:read capability gets the same 404 as for an application that does not exist.
    """
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFound()
    if application.applicant_id == actor_id:
        return application, False
    if not grants.can(Capability.MEMBERSHIP_READ):
        raise NotFound()
    return application, True


@dataclass(frozen=True)
class VoteAccess:
    vote: Vote
    application: Application
    voter: VoteVoter | None


async def access_vote(
    session: AsyncSession, actor_id: uuid.UUID, grants: Grants, vote_id: uuid.UUID
) -> VoteAccess:
    """A vote for one of its voters or a membership:read holder, never for its applicant.

    Anyone else, the applicant included, gets the same 404 as for a vote that does not
    exist: a vote about her is never hers to read, and its id says nothing to a stranger.
    """
    vote = await session.get(Vote, vote_id)
    if vote is None:
        raise NotFound()
    application = await application_service.get_application(session, vote.application_id)
    voter = await vote_service.get_voter(session, vote.id, actor_id)
    if voter is None and not grants.can(Capability.MEMBERSHIP_READ):
        raise NotFound()
    if application.applicant_id == actor_id:
        raise NotFound()
    return VoteAccess(vote=vote, application=application, voter=voter)
