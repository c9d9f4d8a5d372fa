import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.room import rules
from backend.room.access import RoomAccess, access_group_session, access_room_by_id
from backend.room.messages import pseudonyms
from backend.room.models import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackSubmission,
    GroupSession,
    RoomMember,
    SessionAttendance,
    SessionSeries,
)
from backend.room.schemas import (
    FeedbackAnswerIn,
    FeedbackQuestionIn,
    GroupSessionCreate,
    QuestionSummaryPublic,
)


def _require_facilitator(access: RoomAccess, actor: Actor) -> None:
    if not rules.can_schedule_sessions(access.kind, access.view, actor.grants):
        raise Forbidden("Only the group's facilitators do this.", code="not_facilitator")


async def _add_group_session(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    data: GroupSessionCreate,
    series_id: uuid.UUID | None,
) -> GroupSession:
    row = GroupSession(
        room_id=room_id,
        series_id=series_id,
        facilitator_id=actor.account.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        topic=data.topic,
        language=data.language,
        created_at=utc_now(),
    )
    session.add(row)
    await session.flush()
    return row


async def schedule_session(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, data: GroupSessionCreate
) -> GroupSession:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    _require_facilitator(access, actor)
    return await _add_group_session(session, actor, room_id, data, None)


async def create_series(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    *,
    title: str,
    sessions: Sequence[GroupSessionCreate],
) -> tuple[SessionSeries, list[GroupSession]]:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    _require_facilitator(access, actor)
    series = SessionSeries(
        room_id=room_id, title=title, created_by=actor.account.id, created_at=utc_now()
    )
    session.add(series)
    await session.flush()
    rows = [await _add_group_session(session, actor, room_id, s, series.id) for s in sessions]
    return series, rows


async def list_group_sessions(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, *, upcoming: bool
) -> list[GroupSession]:
    await access_room_by_id(session, actor.account.id, actor.grants, room_id, need="see")
    statement = select(GroupSession).where(GroupSession.room_id == room_id)
    if upcoming:
        statement = statement.where(col(GroupSession.ends_at) > utc_now())
    return list((await session.exec(statement.order_by(col(GroupSession.starts_at)))).all())


async def record_attendance(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    account_ids: Sequence[uuid.UUID],
) -> list[tuple[uuid.UUID, str]]:
    """Set who came (replacing what was recorded); only members of the group count."""
    access, group_session = await access_group_session(
        session, actor.account.id, actor.grants, room_id, session_id
    )
    _require_facilitator(access, actor)
    wanted = set(account_ids)
    members = await session.exec(
        select(RoomMember.account_id)
        .where(RoomMember.room_id == room_id)
        .where(col(RoomMember.account_id).in_(wanted))
    )
    known = set(members.all())
    unknown = wanted - known
    if unknown:
        raise InvalidInput(
            "Attendance lists members of this group only.",
            fields={"account_ids": f"{len(unknown)} of them are not members of this group."},
        )
    await session.exec(
        delete(SessionAttendance).where(col(SessionAttendance.session_id) == session_id)
    )
    now = utc_now()
    for account_id in sorted(wanted):
        session.add(
            SessionAttendance(
                session_id=group_session.id,
                account_id=account_id,
                recorded_by=actor.account.id,
                recorded_at=now,
            )
        )
    await session.flush()
    names = await pseudonyms(session, wanted)
    return sorted(((a, names[a]) for a in wanted), key=lambda item: item[1])


async def list_attendance(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    access, _ = await access_group_session(
        session, actor.account.id, actor.grants, room_id, session_id
    )
    _require_facilitator(access, actor)
    rows = await session.exec(
        select(SessionAttendance.account_id, Account.pseudonym)
        .join(Account, col(Account.id) == col(SessionAttendance.account_id))
        .where(SessionAttendance.session_id == session_id)
        .order_by(col(Account.pseudonym))
    )
    return [(a, p) for a, p in rows.all()]


async def count_attended_sessions(
    session: AsyncSession, account_id: uuid.UUID, since: datetime | None = None
) -> int:
    """Support-group sessions she attended (for participation and the non-active rule)."""
    statement = (
        select(func.count())
        .select_from(SessionAttendance)
        .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
        .where(SessionAttendance.account_id == account_id)
    )
    if since is not None:
        statement = statement.where(col(GroupSession.starts_at) >= since)
    return int((await session.exec(statement)).one())


async def attended_session_counts(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Support-group sessions attended, for everyone who attended any (one query, for
    scheduled work over the whole community)."""
    statement = (
        select(SessionAttendance.account_id, func.count())
        .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
        .group_by(col(SessionAttendance.account_id))
    )
    return {account_id: int(count) for account_id, count in (await session.exec(statement)).all()}


async def series_attendance(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, series_id: uuid.UUID
) -> tuple[SessionSeries, list[GroupSession], dict[str, int]]:
    access = await access_room_by_id(session, actor.account.id, actor.grants, room_id)
    series = await session.get(SessionSeries, series_id)
    if series is None or series.room_id != room_id:
        raise NotFound()
    sessions = list(
        (
            await session.exec(
                select(GroupSession)
                .where(GroupSession.series_id == series_id)
                .order_by(col(GroupSession.starts_at))
            )
        ).all()
    )
    attended: dict[str, int] = {}
    if rules.can_schedule_sessions(access.kind, access.view, actor.grants):
        rows = await session.exec(
            select(Account.pseudonym, func.count())
            .select_from(SessionAttendance)
            .join(GroupSession, col(GroupSession.id) == col(SessionAttendance.session_id))
            .join(Account, col(Account.id) == col(SessionAttendance.account_id))
            .where(GroupSession.series_id == series_id)
            .group_by(col(Account.pseudonym))
        )
        attended = {p: int(n) for p, n in rows.all()}
    return series, sessions, attended


async def set_feedback_questions(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    questions: Sequence[FeedbackQuestionIn],
) -> list[FeedbackQuestion]:
    access, group_session = await access_group_session(
        session, actor.account.id, actor.grants, room_id, session_id
    )
    _require_facilitator(access, actor)
    answered = await session.exec(
        select(FeedbackSubmission.id).where(FeedbackSubmission.session_id == session_id).limit(1)
    )
    if answered.first() is not None:
        raise Conflict("People have answered already; the questions can no longer change.")
    await session.exec(
        delete(FeedbackQuestion).where(col(FeedbackQuestion.session_id) == session_id)
    )
    rows = [
        FeedbackQuestion(session_id=group_session.id, position=i, text=q.text, kind=q.kind)
        for i, q in enumerate(questions, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def list_feedback_questions(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID
) -> list[FeedbackQuestion]:
    await access_group_session(session, actor.account.id, actor.grants, room_id, session_id)
    statement = (
        select(FeedbackQuestion)
        .where(FeedbackQuestion.session_id == session_id)
        .order_by(col(FeedbackQuestion.position))
    )
    return list((await session.exec(statement)).all())


async def submit_feedback(
    session: AsyncSession,
    actor: Actor,
    room_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    answers: Sequence[FeedbackAnswerIn],
) -> None:
    """Anonymous answers from someone who attended, once per session."""
    await access_group_session(session, actor.account.id, actor.grants, room_id, session_id)
    attended = await session.exec(
        select(SessionAttendance.id)
        .where(SessionAttendance.session_id == session_id)
        .where(SessionAttendance.account_id == actor.account.id)
    )
    if attended.first() is None:
        raise Forbidden("Feedback comes from people who attended the session.", code="not_attended")
    questions = {
        q.id: q
        for q in (
            await session.exec(
                select(FeedbackQuestion).where(FeedbackQuestion.session_id == session_id)
            )
        ).all()
    }
    rows = []
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            raise InvalidInput(
                "That question is not part of this session's feedback.",
                fields={"answers": "Unknown question."},
            )
        if question.kind == "scale" and answer.scale is None:
            raise InvalidInput(
                "A scale question takes a number from 1 to 5.",
                fields={"answers": "Give a number from 1 to 5."},
            )
        rows.append(
            FeedbackAnswer(
                question_id=question.id,
                scale_value=answer.scale if question.kind == "scale" else None,
                text_value=(answer.text or None) if question.kind == "text" else None,
            )
        )
    session.add(FeedbackSubmission(session_id=session_id, account_id=actor.account.id))
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("You have answered this session's feedback already.") from exc
    secrets.SystemRandom().shuffle(rows)
    session.add_all(rows)
    await session.flush()


async def feedback_summary(
    session: AsyncSession, actor: Actor, room_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[int, list[QuestionSummaryPublic]]:
    access, _ = await access_group_session(
        session, actor.account.id, actor.grants, room_id, session_id
    )
    _require_facilitator(access, actor)
    questions = (
        await session.exec(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.session_id == session_id)
            .order_by(col(FeedbackQuestion.position))
        )
    ).all()
    submissions = int(
        (
            await session.exec(
                select(func.count())
                .select_from(FeedbackSubmission)
                .where(FeedbackSubmission.session_id == session_id)
            )
        ).one()
    )
    answers = (
        await session.exec(
            select(FeedbackAnswer).where(
                col(FeedbackAnswer.question_id).in_([q.id for q in questions])
            )
        )
    ).all()
    summaries = rules.summarise_feedback(
        [(str(q.id), q.text, q.kind) for q in questions],
        [(str(a.question_id), a.scale_value, a.text_value) for a in answers],
        submissions=submissions,
    )
    return submissions, [QuestionSummaryPublic(**s.__dict__) for s in summaries]
