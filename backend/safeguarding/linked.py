"""Several accounts registered from one place in a day: a flag for the officers.

Three fake accounts made by one person from one phone and one network look like this; so
do three women registering together at a charity's drop-in. A person tells them apart:
the flag opens (or joins) a case, and nothing happens to any account by itself.
"""

import uuid
from collections.abc import Awaitable, Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.places import REGISTRATION_WINDOW
from backend.core.config import Settings
from backend.core.time import utc_now
from backend.room import messages as room_messages
from backend.safeguarding import reports as report_service
from backend.safeguarding.models import CaseEvidence, SafetyCase
from moderation import cases as case_rules
from moderation.cases import CaseSource
from moderation.reports import Severity

LINKED_REGISTRATIONS_RULE = "linked.registrations_from_one_place"


async def flag_registrations(
    session: AsyncSession, registered: list[uuid.UUID], *, threshold: int
) -> bool:
    """``registered``: the accounts registered from one place within the window, the newest
    last. From ``threshold`` on, the newest is flagged; while a flag from this place is
    less than a window old, later ones add to its case instead of opening another."""
    if len(registered) < threshold:
        return False
    newest = registered[-1]
    since = utc_now() - REGISTRATION_WINDOW
    earlier = (
        await session.exec(
            select(CaseEvidence.case_id)
            .join(SafetyCase, col(SafetyCase.id) == col(CaseEvidence.case_id))
            .where(CaseEvidence.signal_rule == LINKED_REGISTRATIONS_RULE)
            .where(col(CaseEvidence.author_id).in_(registered))
            .where(col(CaseEvidence.captured_at) >= since)
            .where(col(SafetyCase.status).in_(case_rules.OPEN_STATUSES))
            .order_by(col(CaseEvidence.captured_at))
        )
    ).first()
    case_id = earlier
    if case_id is None:
        case = await report_service.open_or_join_case(
            session,
            source=CaseSource.SIGNAL,
            account_id=newest,
            room_id=None,
            severity=Severity.MEDIUM,
            urgent=False,
        )
        case_id = case.id
    names = await room_messages.pseudonyms(session, registered)
    listed = ", ".join(names.get(a, "an erased member") for a in registered)
    now = utc_now()
    session.add(
        CaseEvidence(
            case_id=case_id,
            author_id=newest,
            author_pseudonym=names.get(newest, ""),
            body=f"{len(registered)} accounts registered from the same place (network and "
            f"browser) within a day: {listed}.",
            signal_rule=LINKED_REGISTRATIONS_RULE,
            signal_detail=listed[:500],
            captured_at=now,
        )
    )
    await session.flush()
    return True


def watcher_for(settings: Settings) -> Callable[[AsyncSession, list[uuid.UUID]], Awaitable[None]]:
    threshold = settings.linked_registrations_signal_threshold

    async def watch(session: AsyncSession, registered: list[uuid.UUID]) -> None:
        await flag_registrations(session, registered, threshold=threshold)

    return watch
