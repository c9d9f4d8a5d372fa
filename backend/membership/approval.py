"""What the Roots' approval means, all at once: status, mentor, card, groups, introduction."""

import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.membership import cards as card_service
from backend.membership import status as status_service
from backend.membership import working_groups as group_service
from backend.membership.cards import CardSigner
from backend.membership.models import (
    Application,
    MemberStatus,
)
from backend.mentoring import service as mentoring_service
from backend.mentoring.rules import Mentee, parse_languages
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms


@dataclass(frozen=True)
class CloseContext:
    card_signer: CardSigner


async def approve_applicant(
    session: AsyncSession, application: Application, context: CloseContext
) -> None:
    """Everything approval means, in the closing transaction: status, mentor, card, groups.

    Called only by vote_service.close_vote_if_due, which holds the vote and application
    rows locked; if any step raises, the whole close rolls back and the vote stays open.
    """
    applicant_id = application.applicant_id
    await status_service.change_status(
        session,
        actor_id=None,
        account_id=applicant_id,
        target=MemberStatus.ACTIVE,
        reason="approved by the Roots vote",
    )
    membership = await status_service.load_membership(session, applicant_id)
    await mentoring_service.propose_mentor(
        session,
        mentee=Mentee(
            account_id=applicant_id,
            languages=parse_languages(membership.languages)
            or frozenset({(await status_service.get_account(session, applicant_id)).language}),
            city=membership.city,
            region=membership.region,
        ),
    )
    await card_service.issue_card(
        session, context.card_signer, actor_id=None, account_id=applicant_id
    )
    for group_id in filter(None, application.working_groups.split(",")):
        await group_service.join_group(
            session, account_id=applicant_id, group_id=uuid.UUID(group_id)
        )
    pseudonym = (await status_service.get_account(session, applicant_id)).pseudonym
    active_room = await room_rooms.ensure_active_members_room(session)
    introduction = await room_messages.post_system_message(
        session,
        room_id=active_room.id,
        text=f"Please welcome {pseudonym}, who joins the active members today.",
    )
    await audit.record(
        session,
        actor_id=None,
        action="membership.approved",
        subject=f"account:{applicant_id}",
        details={"application": str(application.id), "introduction": introduction.seq},
    )
