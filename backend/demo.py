"""The demo community: a few people in every role, made through the service functions.

Deterministic: the same seed gives the same people, roles, organisations and identities.
Later domains add their part (rooms, applications, shifts) here.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.auth.dependencies import Actor
from backend.auth.models import Account
from backend.core.config import Settings
from backend.core.time import frozen_clock
from backend.identity import service as identity_service
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from backend.room import service as room_service
from backend.room.models import RoomKind
from backend.room.schemas import FeedbackAnswerIn, FeedbackQuestionIn, GroupSessionCreate
from backend.runtime import Runtime, build_runtime

DEMO_PASSWORD = "tandem-demo-walk"  # noqa: S105 - printed on purpose: demo accounts only

HARBOUR = "Harbour Outreach"
OPEN_DOOR = "Open Door Advice"


@dataclass(frozen=True)
class DemoPerson:
    pseudonym: str
    language: str
    roles: tuple[tuple[Role, str | None], ...]


PEOPLE = (
    DemoPerson("Amara", "en", ((Role.ADMIN, None), (Role.ACTIVE_MEMBER, None))),
    DemoPerson("Noor", "fr", ((Role.SAFEGUARDING, None), (Role.ACTIVE_MEMBER, None))),
    DemoPerson("Selin", "en", ((Role.SAFEGUARDING, None),)),
    DemoPerson(
        "Ioana",
        "ro",
        ((Role.ACTIVE_MEMBER, None), (Role.MENTOR, None), (Role.FACILITATOR, None)),
    ),
    DemoPerson("Blessing", "en", ((Role.ACTIVE_MEMBER, None), (Role.MENTOR, None))),
    DemoPerson("Lina", "es", ((Role.MEMBER, None),)),
    DemoPerson("Joy", "en", ((Role.MEMBER, None), (Role.PEER_WORKER, HARBOUR))),
    DemoPerson("Mira", "fr", ()),
    DemoPerson("Claire", "fr", ((Role.COORDINATOR, HARBOUR),)),
    DemoPerson("Hugo", "fr", ((Role.PROFESSIONAL, HARBOUR),)),
)

_GIVEN = ["Ada", "Grace", "Rosa", "Maya", "Elena", "Sara"]
_FAMILY = ["Example", "Sample", "Placeholder", "Demo"]


def describe(person: DemoPerson) -> str:
    if not person.roles:
        return "newcomer (no role yet)"
    return ", ".join(f"{r.value}@{org}" if org else r.value for r, org in person.roles)


async def load_demo(
    settings: Settings, *, seed: int = 7, only_if_empty: bool = False
) -> list[tuple[str, str]]:
    rng = random.Random(seed)  # noqa: S311 - demo names, not secrets
    runtime = build_runtime(settings)
    try:
        async with runtime.db.session() as session:
            if only_if_empty and (await session.exec(select(Account).limit(1))).first():
                return []
            admin_id = None
            organisations = {}
            created: list[tuple[str, str]] = []
            accounts = {}
            for person in PEOPLE:
                account, _codes = await auth_service.register_account(
                    session,
                    runtime.auth,
                    pseudonym=person.pseudonym,
                    password=DEMO_PASSWORD,
                    language=person.language,
                    client_key="demo",
                )
                accounts[person.pseudonym] = account
                if admin_id is None:
                    admin_id = account.id
                    for name, kind in (
                        (HARBOUR, OrganisationKind.BOTH),
                        (OPEN_DOOR, OrganisationKind.REFERRING_CHARITY),
                    ):
                        organisations[name] = await organisation_service.create_organisation(
                            session, actor_id=admin_id, name=name, kind=kind
                        )
                for role, org_name in person.roles:
                    await auth_service.grant_role(
                        session,
                        actor_id=admin_id,
                        account_id=account.id,
                        role=role,
                        organisation_id=organisations[org_name].id if org_name else None,
                    )
                created.append((person.pseudonym, describe(person)))
            for pseudonym in ("Joy", "Lina"):
                await identity_service.seal_identity(
                    session,
                    runtime.vault,
                    account_id=accounts[pseudonym].id,
                    fields={
                        "legal_name": f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
                        "date_of_birth": date(
                            rng.randint(1970, 1999), rng.randint(1, 12), rng.randint(1, 28)
                        ).isoformat(),
                        "phone": None,
                        "email": None,
                        "address": None,
                        "notes": "Demo data: not a real person.",
                    },
                )
            await identity_service.request_unseal(
                session,
                officer_id=accounts["Noor"].id,
                account_id=accounts["Joy"].id,
                reason="Payroll for the Harbour Outreach contract needs her legal name.",
                emergency=False,
            )
            await _demo_rooms(session, runtime, accounts, rng)
            return created
    finally:
        await runtime.close()


_LINES = [
    "Good morning everyone.",
    "Thank you for last week, it helped me a lot.",
    "Does anyone know if the drop-in is open on Saturday?",
    "I found a French class near the station, I can share the details in the group.",
    "Sleep is still hard for me, but a bit better.",
    "Congratulations on the new job!",
    "Remember to drink water, it is hot today.",
    "I will be a little late on Tuesday.",
    "Can someone explain how the appointment at the prefecture works?",
    "The workshop on budgets was really useful.",
    "I am proud of you.",
    "Here is the link to the rules we talked about.",
    "Who wants to cook together after the session?",
    "I am feeling tired today, I will just read.",
    "Welcome to the group!",
]


async def _demo_rooms(
    session: AsyncSession, runtime: Runtime, accounts: dict[str, Account], rng: random.Random
) -> None:
    """Rooms of every kind with a few hundred messages, sessions past and upcoming."""
    actors: dict[str, Actor] = {}
    opened = []
    for name, account in accounts.items():
        issued = await auth_service.open_session(session, runtime.auth, account)
        opened.append(issued.session)
        grants = await auth_service.load_grants(session, account.id)
        actors[name] = Actor(account=account, session=issued.session, grants=grants)
    now = datetime.now(UTC).replace(microsecond=0)
    with frozen_clock(now - timedelta(days=21)) as clock:
        circle = await room_service.create_room(
            session, actors["Ioana"], kind=RoomKind.SUPPORT_GROUP, name="Tuesday circle", topic=""
        )
        notices = await room_service.create_room(
            session, actors["Noor"], kind=RoomKind.ANNOUNCEMENTS, name="Notices", topic=""
        )
        working = await room_service.create_working_group_room(
            session, name="Outreach materials", created_by=accounts["Ioana"].id
        )
        roots = await room_service.ensure_active_members_room(session)
        for name in ("Lina", "Joy", "Blessing", "Amara"):
            await room_service.join_room(session, actors[name], circle.id)
            await room_service.join_room(session, actors[name], notices.id)
        await room_service.join_room(session, actors["Ioana"], notices.id)
        for name in ("Amara", "Noor", "Ioana", "Blessing"):
            await room_service.add_room_member(
                session, room_id=roots.id, account_id=accounts[name].id
            )
        for name in ("Blessing", "Amara"):
            await room_service.add_room_member(
                session, room_id=working.id, account_id=accounts[name].id
            )
        mentoring = await room_service.open_mentoring_room(
            session, mentor_id=accounts["Blessing"].id, mentee_id=accounts["Lina"].id
        )
        direct = await room_service.open_direct_conversation(
            session, actors["Lina"], other_id=accounts["Joy"].id
        )
        await room_service.answer_direct_conversation(
            session, actors["Joy"], direct.id, accept=True
        )
        talk = [
            (circle.id, ["Ioana", "Lina", "Joy", "Blessing", "Amara"], 140),
            (working.id, ["Ioana", "Blessing", "Amara"], 40),
            (roots.id, ["Amara", "Noor", "Ioana", "Blessing"], 40),
            (mentoring.id, ["Blessing", "Lina"], 50),
            (direct.id, ["Lina", "Joy"], 30),
            (notices.id, ["Noor", "Ioana"], 8),
        ]
        total = sum(count for _, _, count in talk)
        step = timedelta(days=20) / total
        counter = 0
        for room_id, speakers, count in talk:
            for _ in range(count):
                counter += 1
                clock.advance(seconds=step.total_seconds())
                await room_service.post_message(
                    session,
                    actors[rng.choice(speakers)],
                    room_id,
                    client_id=f"demo-{counter}",
                    body=rng.choice(_LINES),
                )
        await room_service.post_system_message(
            session, room_id=roots.id, text="Please welcome Blessing to the active members."
        )
    questions = [
        FeedbackQuestionIn(text="How useful was this session?", kind="scale"),
        FeedbackQuestionIn(text="What would you change?", kind="text"),
    ]
    attendees = ["Lina", "Joy", "Blessing", "Amara"]
    for offset in (-14, -7, 7, 14):
        starts = now + timedelta(days=offset)
        held = await room_service.schedule_session(
            session,
            actors["Ioana"],
            circle.id,
            GroupSessionCreate(
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                topic="Sleep and stress" if offset < 0 else "Rights at work",
                language="en",
            ),
        )
        if offset > 0:
            continue
        came = attendees[: 3 if offset == -14 else 4]
        await room_service.record_attendance(
            session, actors["Ioana"], circle.id, held.id, account_ids=[accounts[n].id for n in came]
        )
        asked = await room_service.set_feedback_questions(
            session, actors["Ioana"], circle.id, held.id, questions=questions
        )
        for name in came:
            await room_service.submit_feedback(
                session,
                actors[name],
                circle.id,
                held.id,
                answers=[
                    FeedbackAnswerIn(question_id=asked[0].id, scale=rng.randint(3, 5)),
                    FeedbackAnswerIn(
                        question_id=asked[1].id, text=rng.choice(["More time", "", "A break"])
                    ),
                ],
            )
    series_start = now - timedelta(days=10)
    _series, workshops = await room_service.create_series(
        session,
        actors["Ioana"],
        circle.id,
        title="Life skills",
        sessions=[
            GroupSessionCreate(
                starts_at=series_start + timedelta(weeks=i),
                ends_at=series_start + timedelta(weeks=i, hours=2),
                topic=topic,
                language="en",
            )
            for i, topic in enumerate(["Budgets", "Housing", "Health care", "Work rights"])
        ],
    )
    for held in workshops[:2]:
        await room_service.record_attendance(
            session,
            actors["Ioana"],
            circle.id,
            held.id,
            account_ids=[accounts[n].id for n in ("Lina", "Joy")],
        )
    # The login sessions above only served to act as each person.
    for opened_session in opened:
        await auth_service.revoke_session(session, opened_session)
