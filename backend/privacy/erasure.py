"""What erasing an account does to each domain's rows: one eraser per domain.

An eraser runs inside the erasure's one transaction. It removes what says who she was
(texts she wrote, her pseudonym quoted anywhere, her sealed identity, her links to other
people) and keeps what the community needs without her name (vote counts, hours worked
and paid). An eraser may refuse by raising a TandemError: nothing is then erased.
docs/privacy.md says what each one keeps and why.
"""

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import places
from backend.auth.models import (
    Account,
    AuthSession,
    DuressSecret,
    RecoveryCode,
    RoleGrant,
    WsTicket,
)
from backend.auth.rules import pseudonym_key
from backend.core.erasure import ERASED_NAME, ErasureContext
from backend.identity.models import IdentityDisclosure, SealedIdentity, UnsealRequest
from backend.membership import cards as card_service
from backend.membership.models import (
    AgreementSignature,
    Application,
    Ballot,
    InterviewReport,
    Membership,
    MemberStatus,
    ParticipationConfirmation,
    Referral,
    Vote,
    VoteVoter,
    WorkingGroupMember,
)
from backend.mentoring import service as mentoring_service
from backend.mentoring.models import MentorProfile, Mentorship, MentorshipStatus
from backend.peerwork.models import (
    AvailabilityException,
    AvailabilityRule,
    CalendarFeed,
    Debrief,
    Notice,
    PeerWorker,
    SafetyExclusion,
    WorkerStatus,
)
from backend.room import events
from backend.room import views as room_views
from backend.room.models import (
    FeedbackSubmission,
    GroupSession,
    MessageKind,
    MessageRevision,
    Room,
    RoomKind,
    RoomMember,
    RoomMessage,
    SessionAttendance,
)
from backend.safety.models import Block
from backend.sso.models import SsoLink

ERASED_REASON = "account erased"
# Never a valid Argon2 hash: no password opens an erased account.
ERASED_PASSWORD_HASH = "!erased"  # noqa: S105 - not a password: matches none


def _rows(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_identity(session: AsyncSession, erased: ErasureContext) -> None:
    """Her sealed identity is destroyed, with the requests and readings about it."""
    me = erased.account_id
    result = await session.exec(delete(SealedIdentity).where(col(SealedIdentity.account_id) == me))
    erased.count("sealed_identity", _rows(result))
    await session.exec(delete(UnsealRequest).where(col(UnsealRequest.account_id) == me))
    await session.exec(delete(IdentityDisclosure).where(col(IdentityDisclosure.account_id) == me))
    # The note her referrer sealed about her.
    result = await session.exec(
        update(Referral)
        .where(col(Referral.redeemed_by) == me)
        .where(col(Referral.note_ciphertext).is_not(None))
        .values(note_key_id=None, note_wrapped_key=None, note_nonce=None, note_ciphertext=None)
    )
    erased.count("referral_notes", _rows(result))


async def erase_membership(session: AsyncSession, erased: ErasureContext) -> None:
    """Status "erased"; her words and profile go; votes keep their counts, not her ballots."""
    me, now = erased.account_id, erased.now
    await card_service.revoke_cards_of(session, actor_id=None, account_id=me, reason=ERASED_REASON)
    membership = await session.get(Membership, me)
    if membership is not None:
        membership.status = MemberStatus.ERASED
        membership.status_changed_at = now
        membership.languages, membership.city, membership.region = "", None, None
        session.add(membership)
    await session.exec(delete(AgreementSignature).where(col(AgreementSignature.account_id) == me))
    await session.exec(
        delete(ParticipationConfirmation).where(col(ParticipationConfirmation.account_id) == me)
    )
    await session.exec(delete(WorkingGroupMember).where(col(WorkingGroupMember.account_id) == me))
    applications = select(Application.id).where(col(Application.applicant_id) == me)
    await session.exec(
        delete(InterviewReport).where(col(InterviewReport.application_id).in_(applications))
    )
    await session.exec(
        update(Application).where(col(Application.applicant_id) == me).values(motivation="")
    )
    await _erase_ballots(session, erased)


async def _erase_ballots(session: AsyncSession, erased: ErasureContext) -> None:
    """Closed votes: the counts on the vote row stay, her ballot rows go. Open votes: her
    ballot still counts but belongs to nobody (voter_id NULL, notes gone); if she had not
    voted she is recused, so she leaves the quorum's denominator."""
    me, now = erased.account_id, erased.now
    closed = select(Vote.id).where(col(Vote.closed_at).is_not(None))
    open_ = select(Vote.id).where(col(Vote.closed_at).is_(None))
    result = await session.exec(
        delete(Ballot).where(col(Ballot.voter_id) == me).where(col(Ballot.vote_id).in_(closed))
    )
    erased.count("ballots_deleted", _rows(result))
    voted_open = set(
        (
            await session.exec(
                select(Ballot.vote_id)
                .where(col(Ballot.voter_id) == me)
                .where(col(Ballot.vote_id).in_(open_))
            )
        ).all()
    )
    result = await session.exec(
        update(Ballot)
        .where(col(Ballot.voter_id) == me)
        .where(col(Ballot.vote_id).in_(open_))
        .values(voter_id=None, notes="{}")
    )
    erased.count("ballots_detached", _rows(result))
    await session.exec(
        update(VoteVoter)
        .where(col(VoteVoter.account_id) == me)
        .where(col(VoteVoter.recused_at).is_not(None))
        .values(recusal_reason=None)
    )
    not_voted = (
        update(VoteVoter)
        .where(col(VoteVoter.account_id) == me)
        .where(col(VoteVoter.vote_id).in_(open_))
        .where(col(VoteVoter.recused_at).is_(None))
        .values(recused_at=now, recusal_reason=ERASED_REASON)
    )
    if voted_open:
        not_voted = not_voted.where(col(VoteVoter.vote_id).not_in(voted_open))
    erased.count("votes_recused", _rows(await session.exec(not_voted)))


async def erase_mentoring(session: AsyncSession, erased: ErasureContext) -> None:
    """Her mentorships end (both leave the pair's room); her mentor profile goes."""
    me = erased.account_id
    running = (
        await session.exec(
            select(Mentorship)
            .where((col(Mentorship.mentor_id) == me) | (col(Mentorship.mentee_id) == me))
            .where(col(Mentorship.status) != MentorshipStatus.ENDED)
        )
    ).all()
    for mentorship in running:
        await mentoring_service.end_mentorship(
            session, actor_id=me, mentorship_id=mentorship.id, reason=ERASED_REASON
        )
    erased.count("mentorships_ended", len(running))
    await session.exec(delete(MentorProfile).where(col(MentorProfile.account_id) == me))


async def erase_rooms(session: AsyncSession, erased: ErasureContext) -> None:
    """Her messages become tombstones with no author; texts that name her go too."""
    me, now = erased.account_id, erased.now
    mine = select(RoomMessage.id).where(col(RoomMessage.author_id) == me)
    # Open clients replace what they show of her recent messages at once; older ones
    # come from the server, already tombstones, when a client pages back.
    recent = list(
        (await session.exec(mine.order_by(col(RoomMessage.created_at).desc()).limit(500))).all()
    )
    await session.exec(delete(MessageRevision).where(col(MessageRevision.message_id).in_(mine)))
    await session.exec(
        update(MessageRevision)
        .where(col(MessageRevision.replaced_by) == me)
        .values(replaced_by=None)
    )
    result = await session.exec(
        update(RoomMessage)
        .where(col(RoomMessage.author_id) == me)
        .values(
            body="",
            author_id=None,
            client_id=None,
            deleted_at=now,
            changed_at=now,
            deleted_by=None,
            delete_reason=None,
        )
    )
    erased.count("messages", _rows(result))
    if recent:
        tombstones = await session.exec(
            select(RoomMessage)
            .where(col(RoomMessage.id).in_(recent))
            .execution_options(populate_existing=True)
        )
        for message in tombstones.all():
            public = room_views.message_public(message, None)
            events.publish_on_commit(
                session,
                events.MessageUpdatedEvent(
                    message.room_id, message.seq, None, public.model_dump(mode="json")
                ),
            )
    await session.exec(
        update(RoomMessage).where(col(RoomMessage.deleted_by) == me).values(deleted_by=None)
    )
    await _erase_mentions(session, erased)
    await session.exec(delete(SessionAttendance).where(col(SessionAttendance.account_id) == me))
    await session.exec(delete(FeedbackSubmission).where(col(FeedbackSubmission.account_id) == me))
    await session.exec(
        update(GroupSession)
        .where(col(GroupSession.facilitator_id) == me)
        .values(facilitator_id=None)
    )
    await session.exec(delete(WsTicket).where(col(WsTicket.account_id) == me))
    result = await session.exec(delete(RoomMember).where(col(RoomMember.account_id) == me))
    erased.count("rooms_left", _rows(result))


async def _erase_mentions(session: AsyncSession, erased: ErasureContext) -> None:
    """Pair rooms are named after both people; system messages welcome her by name."""
    pair_rooms = (
        await session.exec(
            select(Room)
            .join(RoomMember, col(RoomMember.room_id) == col(Room.id))
            .where(col(RoomMember.account_id) == erased.account_id)
            .where(col(Room.kind).in_([RoomKind.MENTORING, RoomKind.DIRECT]))
        )
    ).all()
    pattern = erased.name_pattern()
    for room in pair_rooms:
        room.name = pattern.sub(ERASED_NAME, room.name)[:80]
        session.add(room)
    system = (
        await session.exec(
            select(RoomMessage)
            .where(col(RoomMessage.kind) == MessageKind.SYSTEM)
            .where(col(RoomMessage.deleted_at).is_(None))
        )
    ).all()
    for message in system:
        if erased.mentions(message.body):
            message.body = ""
            message.deleted_at = erased.now
            session.add(message)
            erased.count("system_messages", 1)
    await session.flush()


async def erase_safety(session: AsyncSession, erased: ErasureContext) -> None:
    me = erased.account_id
    result = await session.exec(
        delete(Block).where((col(Block.blocker_id) == me) | (col(Block.blocked_id) == me))
    )
    erased.count("blocks", _rows(result))


async def erase_peerwork(session: AsyncSession, erased: ErasureContext) -> None:
    """Hours, pay, contracts and trainings stay for the employer's legal records, under an
    account that no longer names her; what is personal beyond that goes."""
    me = erased.account_id
    await session.exec(
        update(PeerWorker).where(col(PeerWorker.account_id) == me).values(shared_name=None)
    )
    await session.exec(
        update(PeerWorker)
        .where(col(PeerWorker.account_id) == me)
        .where(col(PeerWorker.status).in_([WorkerStatus.ACTIVE, WorkerStatus.INVITED]))
        .values(status=WorkerStatus.ENDED)
    )
    workers = select(PeerWorker.id).where(col(PeerWorker.account_id) == me)
    await session.exec(delete(SafetyExclusion).where(col(SafetyExclusion.worker_id).in_(workers)))
    await session.exec(delete(AvailabilityRule).where(col(AvailabilityRule.account_id) == me))
    await session.exec(
        delete(AvailabilityException).where(col(AvailabilityException.account_id) == me)
    )
    await session.exec(delete(CalendarFeed).where(col(CalendarFeed.account_id) == me))
    await session.exec(delete(Notice).where(col(Notice.account_id) == me))
    result = await session.exec(
        update(Debrief).where(col(Debrief.account_id) == me).values(incident_note=None)
    )
    erased.count("debriefs", _rows(result))


async def erase_sign_in(session: AsyncSession, erased: ErasureContext) -> None:
    await session.exec(delete(SsoLink).where(col(SsoLink.account_id) == erased.account_id))
    # Where she signed in from (keyed hashes): nothing of it outlives her account.
    erased.count("account_places", await places.delete_places_of(session, erased.account_id))


async def erase_account(session: AsyncSession, erased: ErasureContext) -> None:
    """Last: a random placeholder name, no password, no session, no recovery code, no role."""
    me = erased.account_id
    account = await session.get(Account, me)
    if account is None:
        return
    account.pseudonym = erased.placeholder
    account.pseudonym_key = pseudonym_key(erased.placeholder)
    account.password_hash = ERASED_PASSWORD_HASH
    account.language, account.time_zone = "en", "UTC"
    account.password_changed_at = erased.now
    session.add(account)
    result = await session.exec(delete(AuthSession).where(col(AuthSession.account_id) == me))
    erased.count("sessions", _rows(result))
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == me))
    await session.exec(delete(DuressSecret).where(col(DuressSecret.account_id) == me))
    await session.exec(delete(RoleGrant).where(col(RoleGrant.account_id) == me))
    await session.flush()
