"""The demo's safety story: reports, a confirmed infiltration, a restriction."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import places
from backend.auth.dependencies import Actor
from backend.auth.models import Account, PlaceKind
from backend.core.dependencies import Origin
from backend.core.time import frozen_clock, utc_now
from backend.safeguarding import cases as case_service
from backend.safeguarding import decisions as decision_service
from backend.safeguarding import reports as report_service
from backend.safeguarding import restrictions as restriction_service
from moderation import restrictions as restrictions_policy
from moderation.cases import Decision
from moderation.reports import ReportKind, TargetKind


async def demo_safety(
    session: AsyncSession,
    actors: dict[str, Actor],
    accounts: dict[str, Account],
    circle_id: uuid.UUID,
    *,
    secret: bytes,
) -> None:
    """Reports at every stage, a restricted account, a confirmed infiltration, and a second
    account of the infiltrator's, linked to her by where it was made."""
    await demo_linked_pair(session, accounts, secret)
    account_target = report_service.ReportTarget
    # Received, nobody on it yet.
    await report_service.file_report(
        session,
        actors["Bea"],
        kind=ReportKind.SPAM,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Efe"].id),
        description="Sends the same advert to everyone.",
        immediate_danger=False,
    )
    # In review with Selin; an interim restriction on Ivy while it is examined.
    await report_service.file_report(
        session,
        actors["Hana"],
        kind=ReportKind.HARASSMENT,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Ivy"].id),
        description="Keeps commenting on what I wear after the group.",
        immediate_danger=False,
    )
    queue = await case_service.triage_queue(session, actors["Noor"])
    ivy_case = next(i.case for i in queue if i.case.target_account_id == accounts["Ivy"].id)
    await case_service.assign_case(
        session, actors["Noor"], ivy_case.id, officer_id=accounts["Selin"].id
    )
    await restriction_service.restrict_for_case(
        session,
        actors["Selin"],
        ivy_case.id,
        effects=restrictions_policy.INTERIM,
        reason="While we listen to both sides.",
        expires_at=datetime.now(UTC) + timedelta(days=14),
    )
    await case_service.add_note(
        session, actors["Selin"], ivy_case.id, body="Call with Hana on Monday; then with Ivy."
    )
    # Closed with no action.
    await report_service.file_report(
        session,
        actors["Aylin"],
        kind=ReportKind.HARASSMENT,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Dalia"].id),
        description="She was cold to me at the drop-in.",
        immediate_danger=False,
    )
    queue = await case_service.triage_queue(session, actors["Noor"])
    dalia_case = next(i.case for i in queue if i.case.target_account_id == accounts["Dalia"].id)
    await decision_service.decide_case(
        session,
        actors["Noor"],
        dalia_case.id,
        decision=Decision.NO_ACTION,
        reason="A misunderstanding about a shared taxi; both are fine now.",
    )
    # Vera: reported by Lina, confirmed as an infiltrator. Her trust graph shows whom she
    # interviewed (Dalia) and voted on (Esther's vote is still open, Farah was approved); the
    # cascade is left for an officer to apply from the case page.
    await report_service.file_report(
        session,
        actors["Lina"],
        kind=ReportKind.RECRUITMENT,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Vera"].id),
        description="Offered me cleaning work in another city and asked where I sleep now.",
        immediate_danger=True,
    )
    queue = await case_service.triage_queue(session, actors["Noor"])
    vera_case = next(i.case for i in queue if i.case.target_account_id == accounts["Vera"].id)
    await decision_service.decide_case(
        session,
        actors["Noor"],
        vera_case.id,
        decision=Decision.EXPULSION,
        reason="Three newcomers described the same job offer and questions about addresses.",
        infiltration_confirmed=True,
    )


# A documentation address (RFC 5737) and an ordinary phone browser.
VERAS_PHONE = Origin(
    address="198.51.100.23",
    user_agent="Mozilla/5.0 (Linux; Android 14; SM-A145R) AppleWebKit/537.36 Chrome/131.0 Mobile",
)


async def demo_linked_pair(
    session: AsyncSession, accounts: dict[str, Account], secret: bytes
) -> None:
    """Vera signed in from her phone two days ago; Val was registered from it yesterday:
    Vera's trust graph and cascade show Val as "from the same place"."""
    now = utc_now()
    for pseudonym, kind, days_ago in (
        ("Vera", PlaceKind.SIGNED_IN, 2),
        ("Val", PlaceKind.REGISTERED, 1),
    ):
        with frozen_clock(now - timedelta(days=days_ago)):
            await places.record_place(
                session, secret, account_id=accounts[pseudonym].id, kind=kind, origin=VERAS_PHONE
            )
