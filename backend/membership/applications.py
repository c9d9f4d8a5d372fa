"""Applying to become active: the application, its interviewers and the interview report."""

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import Role
from backend.auth.models import RoleGrant
from backend.core import audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.time import utc_now
from backend.membership import agreements as agreement_service
from backend.membership import errors as membership_errors
from backend.membership import status as status_service
from backend.membership.models import (
    AgreementKind,
    Application,
    ApplicationInterviewer,
    ApplicationStatus,
    Criterion,
    InterviewAssessment,
    InterviewReport,
    Membership,
    MemberStatus,
    WorkingGroup,
)
from backend.notification import producers as notify
from backend.safety import service as safety_service


async def _open_application_of(
    session: AsyncSession, applicant_id: uuid.UUID
) -> Application | None:
    statement = (
        select(Application)
        .where(Application.applicant_id == applicant_id)
        .where(
            col(Application.status).in_((ApplicationStatus.INTERVIEWING, ApplicationStatus.VOTING))
        )
    )
    return (await session.exec(statement)).first()


async def submit_application(
    session: AsyncSession,
    *,
    applicant_id: uuid.UUID,
    motivation: str,
    working_group_ids: Sequence[uuid.UUID],
) -> Application:
    membership = await status_service.load_membership(session, applicant_id)
    if membership.status != MemberStatus.MEMBER:
        raise membership_errors.IllegalTransition(
            f"Members apply to become active; your status is {membership.status}."
        )
    await agreement_service.require_current_signature(
        session, applicant_id, AgreementKind.COMMUNITY_RULES
    )
    if await _open_application_of(session, applicant_id) is not None:
        raise Conflict("You have an application in progress already.")
    for group_id in working_group_ids:
        if await session.get(WorkingGroup, group_id) is None:
            raise InvalidInput(
                "A chosen working group does not exist.",
                fields={"working_group_ids": f"Unknown group {group_id}."},
            )
    application = Application(
        applicant_id=applicant_id,
        status=ApplicationStatus.INTERVIEWING,
        motivation=motivation,
        working_groups=",".join(str(g) for g in working_group_ids),
        created_at=utc_now(),
    )
    session.add(application)
    await session.flush()
    await status_service.change_status(
        session,
        actor_id=applicant_id,
        account_id=applicant_id,
        target=MemberStatus.CANDIDATE,
        reason="applied to become active",
    )
    await audit.record(
        session,
        actor_id=applicant_id,
        action="application.submitted",
        subject=f"application:{application.id}",
    )
    await notify.application_needs_interviewers(
        session,
        recipients=await _possible_interviewers(session, applicant_id),
        applicant=(await status_service.get_account(session, applicant_id)).pseudonym,
        application_id=application.id,
    )
    return application


async def roots_coordinators(session: AsyncSession) -> set[uuid.UUID]:
    statement = select(RoleGrant.account_id).where(RoleGrant.role == Role.ROOTS_COORDINATOR)
    return set((await session.exec(statement)).all())


async def _possible_interviewers(session: AsyncSession, applicant_id: uuid.UUID) -> set[uuid.UUID]:
    """Who can take her interview or assign it: active members and Roots coordinators,
    never her, never someone linked to her by a block."""
    active = set(
        (
            await session.exec(
                select(Membership.account_id).where(Membership.status == MemberStatus.ACTIVE)
            )
        ).all()
    )
    people = (active | await roots_coordinators(session)) - {applicant_id}
    return people - await safety_service.blocked_either_way(session, applicant_id)


async def get_application(session: AsyncSession, application_id: uuid.UUID) -> Application:
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFound()
    return application


async def withdraw_application(
    session: AsyncSession, *, applicant_id: uuid.UUID, application_id: uuid.UUID
) -> Application:
    application = await lock_application(session, application_id)
    if application.applicant_id != applicant_id:
        raise NotFound()
    if application.status != ApplicationStatus.INTERVIEWING:
        raise Conflict("An application can be withdrawn before its vote opens.")
    application.status = ApplicationStatus.WITHDRAWN
    application.decided_at = utc_now()
    session.add(application)
    await status_service.change_status(
        session,
        actor_id=applicant_id,
        account_id=applicant_id,
        target=MemberStatus.MEMBER,
        reason="application withdrawn",
    )
    return application


async def lock_application(session: AsyncSession, application_id: uuid.UUID) -> Application:
    """The application, locked for update until the transaction ends (NotFound if absent).

    Whatever decides on an application (withdrawing, assigning, reporting, opening or
    closing its vote) takes this lock first, so two decisions never interleave.
    """
    statement = select(Application).where(Application.id == application_id).with_for_update()
    application = (await session.exec(statement)).first()
    if application is None:
        raise NotFound()
    return application


async def assign_interviewers(
    session: AsyncSession,
    *,
    coordinator_id: uuid.UUID,
    application_id: uuid.UUID,
    interviewer_ids: Sequence[uuid.UUID],
) -> list[ApplicationInterviewer]:
    """One to three active members, never the applicant, never linked to her by a block."""
    application = await lock_application(session, application_id)
    if application.status != ApplicationStatus.INTERVIEWING:
        raise Conflict("Interviewers are assigned before the vote opens.")
    if (
        await session.exec(
            select(InterviewReport).where(InterviewReport.application_id == application.id)
        )
    ).first():
        raise Conflict("The interview report is written; the interviewers can no longer change.")
    unique = list(dict.fromkeys(interviewer_ids))
    if not 1 <= len(unique) <= 3:
        raise InvalidInput(
            "Assign one to three different interviewers.",
            fields={"interviewer_ids": "One to three different people."},
        )
    for interviewer_id in unique:
        if interviewer_id == application.applicant_id:
            raise membership_errors.InterviewerRefused("The applicant cannot interview herself.")
        if (
            await status_service.load_membership(session, interviewer_id)
        ).status != MemberStatus.ACTIVE:
            raise membership_errors.InterviewerRefused("Interviewers are active members.")
        if await safety_service.is_blocked_between(
            session, interviewer_id, application.applicant_id
        ):
            raise membership_errors.InterviewerRefused(
                "One of these interviewers cannot be assigned to this applicant."
            )
    existing = (
        await session.exec(
            select(ApplicationInterviewer).where(
                ApplicationInterviewer.application_id == application.id
            )
        )
    ).all()
    already = {row.interviewer_id for row in existing}
    for row in existing:
        await session.delete(row)
    await session.flush()
    now = utc_now()
    assigned = [
        ApplicationInterviewer(
            application_id=application.id,
            interviewer_id=interviewer_id,
            assigned_by=coordinator_id,
            assigned_at=now,
        )
        for interviewer_id in unique
    ]
    session.add_all(assigned)
    await session.flush()
    await audit.record(
        session,
        actor_id=coordinator_id,
        action="application.interviewers_assigned",
        subject=f"application:{application.id}",
        details={"interviewers": [str(i) for i in unique]},
    )
    await notify.interviewer_assigned(
        session,
        interviewers=[i for i in unique if i not in already],
        applicant=(await status_service.get_account(session, application.applicant_id)).pseudonym,
        application_id=application.id,
    )
    return assigned


async def interviewers_of(session: AsyncSession, application_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(ApplicationInterviewer.interviewer_id).where(
        ApplicationInterviewer.application_id == application_id
    )
    return list((await session.exec(statement)).all())


async def write_report(
    session: AsyncSession,
    *,
    interviewer_id: uuid.UUID,
    application_id: uuid.UUID,
    summary: str,
    assessments: Sequence[tuple[uuid.UUID, str, str]],
) -> InterviewReport:
    application = await lock_application(session, application_id)
    if interviewer_id not in await interviewers_of(session, application.id):
        raise NotFound()
    if application.status != ApplicationStatus.INTERVIEWING:
        raise Conflict("The report can be written until the vote opens.")
    await agreement_service.require_current_signature(
        session, interviewer_id, AgreementKind.COMMUNITY_RULES
    )
    criteria = {c.id: c for c in await agreement_service.list_criteria(session)}
    given = {criterion_id for criterion_id, _, _ in assessments}
    if unknown := given - criteria.keys():
        raise InvalidInput(
            "An assessment names a criterion that does not exist.",
            fields={"assessments": f"Unknown criteria: {', '.join(map(str, unknown))}."},
        )
    if missing := criteria.keys() - given:
        names = ", ".join(sorted(criteria[m].title for m in missing))
        raise InvalidInput("Assess every criterion.", fields={"assessments": f"Missing: {names}."})
    previous = (
        await session.exec(
            select(InterviewReport).where(InterviewReport.application_id == application.id)
        )
    ).first()
    if previous is not None:
        await session.delete(previous)
        await session.flush()
    report = InterviewReport(
        application_id=application.id,
        written_by=interviewer_id,
        summary=summary,
        written_at=utc_now(),
    )
    session.add(report)
    await session.flush()
    session.add_all(
        InterviewAssessment(
            report_id=report.id, criterion_id=criterion_id, assessment=value, comment=comment
        )
        for criterion_id, value, comment in assessments
    )
    await session.flush()
    await status_service.note_participation(session, interviewer_id)
    await audit.record(
        session,
        actor_id=interviewer_id,
        action="application.report_written",
        subject=f"application:{application.id}",
    )
    return report


async def report_of(
    session: AsyncSession, application_id: uuid.UUID
) -> tuple[InterviewReport, list[tuple[InterviewAssessment, Criterion]]] | None:
    report = (
        await session.exec(
            select(InterviewReport).where(InterviewReport.application_id == application_id)
        )
    ).first()
    if report is None:
        return None
    statement = (
        select(InterviewAssessment, Criterion)
        .join(Criterion, col(Criterion.id) == col(InterviewAssessment.criterion_id))
        .where(InterviewAssessment.report_id == report.id)
        .order_by(col(Criterion.position), col(Criterion.title))
    )
    return report, list((await session.exec(statement)).all())


async def list_applications(
    session: AsyncSession, *, status: ApplicationStatus | None
) -> list[Application]:
    statement = select(Application).order_by(col(Application.created_at).desc()).limit(200)
    if status is not None:
        statement = statement.where(Application.status == status)
    return list((await session.exec(statement)).all())


async def applications_of(session: AsyncSession, applicant_id: uuid.UUID) -> list[Application]:
    """Her own applications, newest first: what she follows on her path."""
    statement = (
        select(Application)
        .where(Application.applicant_id == applicant_id)
        .order_by(col(Application.created_at).desc())
    )
    return list((await session.exec(statement)).all())
