"""Agreements (versioned texts, signatures) and the criteria expected of an active member."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import audit
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.membership import errors as membership_errors
from backend.membership.models import (
    Agreement,
    AgreementKind,
    AgreementSignature,
    Criterion,
    MemberStatus,
)


async def current_version(session: AsyncSession, kind: AgreementKind) -> int | None:
    statement = select(func.max(Agreement.version)).where(Agreement.kind == kind)
    value = (await session.exec(statement)).one()
    return int(value) if value is not None else None


async def publish_agreement(
    session: AsyncSession,
    *,
    admin_id: uuid.UUID,
    kind: AgreementKind,
    language: str,
    title: str,
    body: str,
    version: int | None,
) -> Agreement:
    """A new version (everyone signs again), or a translation of the current version."""
    current = await current_version(session, kind)
    if version is None:
        version = (current or 0) + 1
    elif version != current:
        raise Conflict(
            "Only the current version can get a new translation; "
            "publish a new version to change the text."
        )
    agreement = Agreement(
        kind=kind,
        version=version,
        language=language,
        title=title,
        body=body,
        published_at=utc_now(),
        published_by=admin_id,
    )
    session.add(agreement)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Version {version} already has a text in this language.") from exc
    await audit.record(
        session,
        actor_id=admin_id,
        action="agreement.published",
        subject=f"agreement:{kind}:{version}",
        details={"language": language},
    )
    return agreement


async def signature_of(
    session: AsyncSession, account_id: uuid.UUID, kind: AgreementKind, version: int
) -> AgreementSignature | None:
    statement = (
        select(AgreementSignature)
        .where(AgreementSignature.account_id == account_id)
        .where(AgreementSignature.kind == kind)
        .where(AgreementSignature.version == version)
    )
    return (await session.exec(statement)).first()


async def list_agreements(
    session: AsyncSession, kind: AgreementKind, *, current_only: bool
) -> list[Agreement]:
    statement = select(Agreement).where(Agreement.kind == kind)
    if current_only:
        version = await current_version(session, kind)
        statement = statement.where(Agreement.version == (version or 0))
    return list((await session.exec(statement.order_by(col(Agreement.version).desc()))).all())


async def unsigned_kinds(
    session: AsyncSession,
    account_id: uuid.UUID,
    status: MemberStatus,
    *,
    require_existing: bool = False,
) -> list[AgreementKind]:
    """The agreements whose current version she has not signed.

    With ``require_existing``, an agreement never published counts as unsigned (nobody can
    become a member before the community has rules).
    """
    kinds = [AgreementKind.COMMUNITY_RULES]
    if status in (MemberStatus.ACTIVE, MemberStatus.NON_ACTIVE):
        kinds.append(AgreementKind.ACTIVE_MEMBER_RULES)
    missing = []
    for kind in kinds:
        version = await current_version(session, kind)
        if version is None:
            if require_existing:
                missing.append(kind)
            continue
        if await signature_of(session, account_id, kind, version) is None:
            missing.append(kind)
    return missing


async def require_current_signature(
    session: AsyncSession, account_id: uuid.UUID, kind: AgreementKind
) -> None:
    """While a newer version waits for her signature, she can read but not act."""
    version = await current_version(session, kind)
    if version is None:
        return
    if await signature_of(session, account_id, kind, version) is None:
        raise membership_errors.MustSign(
            f"Please read and sign the new version of the {kind.replace('_', ' ')} first."
        )


async def list_criteria(session: AsyncSession) -> list[Criterion]:
    statement = (
        select(Criterion)
        .where(col(Criterion.archived_at).is_(None))
        .order_by(col(Criterion.position), col(Criterion.title))
    )
    return list((await session.exec(statement)).all())


async def add_criterion(
    session: AsyncSession, *, admin_id: uuid.UUID, title: str, description: str, position: int
) -> Criterion:
    criterion = Criterion(title=title, description=description, position=position)
    session.add(criterion)
    await session.flush()
    await audit.record(
        session,
        actor_id=admin_id,
        action="criterion.added",
        subject=f"criterion:{criterion.id}",
        details={"title": title},
    )
    return criterion


async def archive_criterion(
    session: AsyncSession, *, admin_id: uuid.UUID, criterion_id: uuid.UUID
) -> None:
    criterion = await session.get(Criterion, criterion_id)
    if criterion is None or criterion.archived_at is not None:
        raise NotFound()
    criterion.archived_at = utc_now()
    session.add(criterion)
    await audit.record(
        session, actor_id=admin_id, action="criterion.archived", subject=f"criterion:{criterion_id}"
    )
