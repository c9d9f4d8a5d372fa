"""What her export holds from each domain: one exporter per section.

Everything about her, and nothing that is someone else's: other people appear by
pseudonym only, never with their sealed data; the interview report about her stays with
Roots (she gets the outcome); anonymous feedback answers stay anonymous (she gets that
she answered). Her own ballots are hers, choice included.
"""

import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import Account, AuthSession, RoleGrant
from backend.core.audit import AuditEntry
from backend.identity import service as identity_service
from backend.identity.models import SealedIdentity, UnsealStatus
from backend.membership.models import (
    AgreementSignature,
    Application,
    Ballot,
    Card,
    InterviewReport,
    Membership,
    ParticipationConfirmation,
    Referral,
    Vote,
    VoteVoter,
    WorkingGroup,
    WorkingGroupMember,
)
from backend.mentoring.models import MentorProfile, Mentorship
from backend.organisation.models import Organisation
from backend.peerwork.models import (
    Assignment,
    AvailabilityException,
    AvailabilityRule,
    Contract,
    Debrief,
    Notice,
    PeerWorker,
    SafetyExclusion,
    Shift,
    ShiftSwap,
    Timesheet,
    TrainingRecord,
)
from backend.room.models import (
    FeedbackSubmission,
    GroupSession,
    Room,
    RoomMember,
    RoomMessage,
    SessionAttendance,
)
from backend.safety.models import Block
from backend.sso.models import SsoLink

Exporter = Callable[[AsyncSession, uuid.UUID], Awaitable[Any]]


def pick(row: object, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


async def _names(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    return await identity_service.pseudonyms_of(session, {i for i in ids if i is not None})


def _name(names: dict[uuid.UUID, str], account_id: uuid.UUID | None) -> str | None:
    if account_id is None:
        return None
    return names.get(account_id, "erased member")


async def _organisations(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[Any, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.exec(select(Organisation).where(col(Organisation.id).in_(wanted)))
    return {row.id: row.name for row in rows.all()}


async def export_account(session: AsyncSession, me: uuid.UUID) -> Any:
    account = await session.get(Account, me)
    if account is None:
        return None
    sessions = (
        await session.exec(
            select(AuthSession)
            .where(col(AuthSession.account_id) == me)
            .order_by(col(AuthSession.created_at))
        )
    ).all()
    grants = (await session.exec(select(RoleGrant).where(col(RoleGrant.account_id) == me))).all()
    organisations = await _organisations(session, (g.organisation_id for g in grants))
    links = (await session.exec(select(SsoLink).where(col(SsoLink.account_id) == me))).all()
    link_orgs = await _organisations(session, (link.organisation_id for link in links))
    return {
        **pick(account, "id", "pseudonym", "language", "time_zone", "created_at"),
        "password_changed_at": account.password_changed_at,
        "roles": [
            {
                "role": g.role,
                "organisation": organisations.get(g.organisation_id),
                "granted_at": g.granted_at,
            }
            for g in grants
        ],
        # Times only: the token is never stored, and where she signed in from is not kept.
        "sessions": [
            pick(s, "created_at", "last_seen_at", "expires_at", "revoked_at") for s in sessions
        ],
        "organisation_sign_in": [
            {
                "organisation": link_orgs.get(link.organisation_id),
                **pick(link, "created_at", "last_signed_in_at"),
            }
            for link in links
        ],
    }


async def export_identity(session: AsyncSession, me: uuid.UUID) -> Any:
    """Whether her identity is sealed (the content is on her identity page, not in a file
    that may travel), and every time someone opened or read it."""
    sealed = await session.get(SealedIdentity, me)
    unsealings, names = await identity_service.list_unsealings_of(session, me)
    disclosures, readers = await identity_service.list_disclosures_of(session, me)
    return {
        "sealed": sealed is not None,
        "sealed_updated_at": sealed.updated_at if sealed else None,
        "unsealings": [
            {
                "requested_by": _name(names, r.requested_by),
                "approved_by": _name(names, r.decided_by),
                "reason": r.reason,
                "emergency": r.status == UnsealStatus.EMERGENCY,
                "requested_at": r.created_at,
                "approved_at": r.decided_at,
                "times_opened": r.open_count,
                "last_opened_at": r.last_opened_at,
            }
            for r in unsealings
        ],
        "disclosures": [
            {
                "read_by": _name(readers, d.read_by),
                "purpose": d.purpose,
                "reason": d.reason,
                "fields": d.fields.split(","),
                "read_at": d.read_at,
            }
            for d in disclosures
        ],
    }


async def export_membership(session: AsyncSession, me: uuid.UUID) -> Any:
    membership = await session.get(Membership, me)
    history = (
        await session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.subject) == f"account:{me}")
            .where(col(AuditEntry.action) == "membership.status_changed")
            .order_by(col(AuditEntry.seq))
        )
    ).all()
    signatures = (
        await session.exec(
            select(AgreementSignature).where(col(AgreementSignature.account_id) == me)
        )
    ).all()
    confirmations = (
        await session.exec(
            select(ParticipationConfirmation).where(col(ParticipationConfirmation.account_id) == me)
        )
    ).all()
    groups = (
        await session.exec(
            select(WorkingGroup, WorkingGroupMember)
            .join(WorkingGroupMember, col(WorkingGroupMember.group_id) == col(WorkingGroup.id))
            .where(col(WorkingGroupMember.account_id) == me)
        )
    ).all()
    cards = (await session.exec(select(Card).where(col(Card.account_id) == me))).all()
    return {
        "status": pick(
            membership,
            "status",
            "vouched",
            "languages",
            "city",
            "region",
            "status_changed_at",
            "member_since",
            "active_since",
            "last_participation_at",
        )
        if membership
        else None,
        "history": [{"at": e.at, **json.loads(e.details)} for e in history],
        "agreements_signed": [
            pick(s, "kind", "version", "language", "signed_at") for s in signatures
        ],
        "participation_confirmed": [pick(c, "note", "confirmed_at") for c in confirmations],
        "working_groups": [{"name": g.name, "joined_at": m.joined_at} for g, m in groups],
        "cards": [
            pick(c, "number", "issued_at", "expires_at", "status", "revoked_at", "revoked_reason")
            for c in cards
        ],
        **await _referrals(session, me),
        **await _applications_and_votes(session, me),
    }


async def _referrals(session: AsyncSession, me: uuid.UUID) -> dict[str, Any]:
    """Referrals she made and the one she joined with; the sealed notes are not included
    (a note she wrote is about someone else; the note about her is her referrer's)."""
    made = (await session.exec(select(Referral).where(col(Referral.referred_by) == me))).all()
    used = (await session.exec(select(Referral).where(col(Referral.redeemed_by) == me))).all()
    organisations = await _organisations(session, (r.organisation_id for r in [*made, *used]))
    names = await _names(session, (r.referred_by for r in used))

    def shown(r: Referral) -> dict[str, Any]:
        return {
            "organisation": organisations.get(r.organisation_id),
            **pick(r, "created_at", "expires_at", "redeemed_at", "withdrawn_at"),
            "redeemed": r.redeemed_by is not None,
            "has_sealed_note": r.note_ciphertext is not None,
        }

    return {
        "referrals_made": [shown(r) for r in made],
        "referred_by": [{"referrer": _name(names, r.referred_by), **shown(r)} for r in used],
    }


async def _applications_and_votes(session: AsyncSession, me: uuid.UUID) -> dict[str, Any]:
    applications = (
        await session.exec(select(Application).where(col(Application.applicant_id) == me))
    ).all()
    shown_applications = []
    for a in applications:
        votes = (await session.exec(select(Vote).where(col(Vote.application_id) == a.id))).all()
        report = (
            await session.exec(
                select(InterviewReport.written_at).where(
                    col(InterviewReport.application_id) == a.id
                )
            )
        ).first()
        shown_applications.append(
            {
                **pick(a, "id", "status", "motivation", "created_at", "decided_at"),
                # The report about her is confidential to Roots: only that it exists.
                "interview_report_written_at": report,
                "votes": [pick(v, "opened_at", "deadline", "closed_at", "outcome") for v in votes],
            }
        )
    ballots = (
        await session.exec(
            select(Ballot, Vote.application_id)
            .join(Vote, col(Vote.id) == col(Ballot.vote_id))
            .where(col(Ballot.voter_id) == me)
        )
    ).all()
    recusals = (
        await session.exec(
            select(VoteVoter, Vote.application_id)
            .join(Vote, col(Vote.id) == col(VoteVoter.vote_id))
            .where(col(VoteVoter.account_id) == me)
            .where(col(VoteVoter.recused_at).is_not(None))
        )
    ).all()
    candidates = {app_id for _, app_id in [*ballots, *recusals]}
    applicants = dict(
        (
            await session.exec(
                select(Application.id, Application.applicant_id).where(
                    col(Application.id).in_(candidates)
                )
            )
        ).all()
    )
    names = await _names(session, applicants.values())
    return {
        "applications": shown_applications,
        "ballots": [
            {
                "candidate": _name(names, applicants.get(app_id)),
                "vote_id": b.vote_id,
                "choice": b.choice,
                "notes": json.loads(b.notes),
                "cast_at": b.cast_at,
            }
            for b, app_id in ballots
        ],
        "recusals": [
            {
                "candidate": _name(names, applicants.get(app_id)),
                "vote_id": v.vote_id,
                "recused_at": v.recused_at,
                "reason": v.recusal_reason,
            }
            for v, app_id in recusals
        ],
    }


async def export_mentoring(session: AsyncSession, me: uuid.UUID) -> Any:
    rows = (
        await session.exec(
            select(Mentorship).where(
                (col(Mentorship.mentor_id) == me) | (col(Mentorship.mentee_id) == me)
            )
        )
    ).all()
    names = await _names(session, (m.mentee_id if m.mentor_id == me else m.mentor_id for m in rows))
    profile = await session.get(MentorProfile, me)
    return {
        "mentor_profile": pick(profile, "languages", "city", "region", "capacity", "available")
        if profile
        else None,
        "mentorships": [
            {
                "my_role": "mentor" if m.mentor_id == me else "mentee",
                "other": _name(names, m.mentee_id if m.mentor_id == me else m.mentor_id),
                **pick(m, "status", "proposed_at", "confirmed_at", "ended_at", "end_reason"),
            }
            for m in rows
        ],
    }


async def export_rooms(session: AsyncSession, me: uuid.UUID) -> Any:
    memberships = (
        await session.exec(
            select(RoomMember, Room)
            .join(Room, col(Room.id) == col(RoomMember.room_id))
            .where(col(RoomMember.account_id) == me)
        )
    ).all()
    messages = (
        await session.exec(
            select(RoomMessage)
            .where(col(RoomMessage.author_id) == me)
            .order_by(col(RoomMessage.room_id), col(RoomMessage.seq))
        )
    ).all()
    attended = (
        await session.exec(
            select(SessionAttendance, GroupSession)
            .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
            .where(col(SessionAttendance.account_id) == me)
        )
    ).all()
    feedback = (
        await session.exec(
            select(FeedbackSubmission.session_id).where(col(FeedbackSubmission.account_id) == me)
        )
    ).all()
    return {
        "rooms": [
            {
                "room_id": room.id,
                "name": room.name,
                "kind": room.kind,
                **pick(member, "role", "state", "joined_at", "muted_until"),
                # Her read marker: the last message she has seen in the room.
                "last_read_seq": member.last_read_seq,
            }
            for member, room in memberships
        ],
        "messages": [
            {
                **pick(m, "room_id", "seq", "body", "reply_to_seq", "created_at", "edited_at"),
                "deleted": m.deleted_at is not None,
            }
            for m in messages
        ],
        "sessions_attended": [
            {"room_id": s.room_id, "topic": s.topic, "starts_at": s.starts_at} for _, s in attended
        ],
        # That she answered; the answers themselves are anonymous and belong to nobody.
        "feedback_given_for_sessions": list(feedback),
    }


async def export_safety(session: AsyncSession, me: uuid.UUID) -> Any:
    blocks = (await session.exec(select(Block).where(col(Block.blocker_id) == me))).all()
    names = await _names(session, (b.blocked_id for b in blocks))
    return {
        "blocks_made": [
            {"blocked": _name(names, b.blocked_id), "created_at": b.created_at} for b in blocks
        ]
    }


async def export_peerwork(session: AsyncSession, me: uuid.UUID) -> Any:
    workers = (await session.exec(select(PeerWorker).where(col(PeerWorker.account_id) == me))).all()
    worker_ids = [w.id for w in workers]
    organisations = await _organisations(session, (w.organisation_id for w in workers))
    contracts = (
        await session.exec(select(Contract).where(col(Contract.worker_id).in_(worker_ids)))
    ).all()
    trainings = (
        await session.exec(
            select(TrainingRecord).where(col(TrainingRecord.worker_id).in_(worker_ids))
        )
    ).all()
    exclusions = (
        await session.exec(
            select(SafetyExclusion).where(col(SafetyExclusion.worker_id).in_(worker_ids))
        )
    ).all()
    shifts = (
        await session.exec(
            select(Assignment, Shift)
            .join(Shift, col(Shift.id) == col(Assignment.shift_id))
            .where(col(Assignment.account_id) == me)
        )
    ).all()
    timesheets = (
        await session.exec(select(Timesheet).where(col(Timesheet.account_id) == me))
    ).all()
    debriefs = (await session.exec(select(Debrief).where(col(Debrief.account_id) == me))).all()
    swaps = (
        await session.exec(
            select(ShiftSwap).where(
                (col(ShiftSwap.from_account_id) == me) | (col(ShiftSwap.to_account_id) == me)
            )
        )
    ).all()
    rules = (
        await session.exec(select(AvailabilityRule).where(col(AvailabilityRule.account_id) == me))
    ).all()
    exceptions = (
        await session.exec(
            select(AvailabilityException).where(col(AvailabilityException.account_id) == me)
        )
    ).all()
    notices = (await session.exec(select(Notice).where(col(Notice.account_id) == me))).all()
    names = await _names(
        session,
        [
            *(w.supervisor_id for w in workers),
            *(a.partner_id for a, _ in shifts),
            *(s.from_account_id for s in swaps),
            *(s.to_account_id for s in swaps),
        ],
    )
    return {
        "work": [
            {
                "organisation": organisations.get(w.organisation_id),
                "supervisor": _name(names, w.supervisor_id),
                **pick(w, "status", "shared_name", "invited_at", "answered_at"),
            }
            for w in workers
        ],
        "contracts": [
            pick(
                c,
                "kind",
                "starts_on",
                "ends_on",
                "rate_minor",
                "currency",
                "weekly_cap_minutes",
                "created_at",
            )
            for c in contracts
        ],
        "trainings": [pick(t, "training_id", "completed_on", "expires_on") for t in trainings],
        "zones_never_sent_to": [pick(x, "zone", "added_at") for x in exclusions],
        "availability": [
            pick(r, "weekday", "start_minute", "end_minute", "preferred") for r in rules
        ],
        "availability_exceptions": [
            pick(x, "on", "available", "start_minute", "end_minute") for x in exceptions
        ],
        "shifts": [
            {
                **pick(s, "starts_at", "ends_at", "zone", "place"),
                "role": a.role,
                "paired_with": _name(names, a.partner_id),
            }
            for a, s in shifts
        ],
        "timesheets": [
            pick(
                t,
                "actual_start",
                "actual_end",
                "status",
                "minutes",
                "night_minutes",
                "amount_minor",
                "currency",
                "note",
            )
            for t in timesheets
        ],
        "debriefs_written": [
            pick(
                d,
                "wellbeing",
                "incident",
                "incident_note",
                "wants_to_talk",
                "concerning",
                "submitted_at",
            )
            for d in debriefs
        ],
        "shift_swaps": [
            {
                "from": _name(names, s.from_account_id),
                "to": _name(names, s.to_account_id),
                **pick(s, "status", "created_at", "decided_at"),
            }
            for s in swaps
        ],
        "notices": [pick(n, "kind", "text", "created_at", "read_at") for n in notices],
    }
