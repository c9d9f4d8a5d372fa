"""Rooms of every kind, messages, group sessions and notifications for the demo."""

import random
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.dependencies import Actor
from backend.auth.lookup import held as held_role
from backend.auth.lookup import live, signed_in
from backend.auth.models import Account
from backend.core.time import frozen_clock
from backend.demo.safety import demo_safety
from backend.membership import cards as card_service
from backend.membership import votes as vote_service
from backend.membership import working_groups as group_service
from backend.mentoring import service as mentoring_service
from backend.mentoring.models import MentorshipStatus
from backend.notification import service as notification_service
from backend.notification import tasks as notification_tasks
from backend.peerwork import tasks as peerwork_tasks
from backend.room import access as room_access
from backend.room import direct as room_direct
from backend.room import group_sessions as room_group_sessions
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.room.models import NotifyLevel, RoomKind
from backend.room.schemas import FeedbackAnswerIn, FeedbackQuestionIn, GroupSessionCreate
from backend.runtime import Runtime

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


async def demo_rooms(
    session: AsyncSession, runtime: Runtime, accounts: dict[str, Account], rng: random.Random
) -> None:
    """Rooms of every kind with a few hundred messages, sessions past and upcoming."""
    actors: dict[str, Actor] = {}
    opened = []
    for name, account in accounts.items():
        issued = await auth_service.open_session(session, runtime.auth, account)
        opened.append(issued.session)
        role_grants = await auth_service.list_role_grants(session, account.id)
        actors[name] = Actor(
            account=signed_in(account),
            session=live(issued.session),
            grants=auth_service.grants_of(role_grants),
            role_grants=[held_role(g) for g in role_grants],
        )
    now = datetime.now(UTC).replace(microsecond=0)
    with frozen_clock(now - timedelta(days=21)) as clock:
        circle = await room_rooms.create_room(
            session, actors["Ioana"], kind=RoomKind.SUPPORT_GROUP, name="Tuesday circle", topic=""
        )
        notices = await room_rooms.create_room(
            session, actors["Noor"], kind=RoomKind.ANNOUNCEMENTS, name="Notices", topic=""
        )
        group = await group_service.create_group(
            session,
            actor_id=accounts["Ioana"].id,
            name="Outreach materials",
            description="Leaflets and the welcome pack, in five languages.",
        )
        assert group.room_id is not None  # noqa: S101 - create_group opens its room
        working = await room_access.get_room_row(session, group.room_id)
        roots = await room_rooms.ensure_active_members_room(session)
        for name in ("Lina", "Joy", "Blessing", "Amara"):
            await room_rooms.join_room(session, actors[name], circle.id)
            await room_rooms.join_room(session, actors[name], notices.id)
        await room_rooms.join_room(session, actors["Ioana"], notices.id)
        for name in ("Amara", "Noor", "Ioana", "Blessing"):
            await room_rooms.add_room_member(
                session, room_id=roots.id, account_id=accounts[name].id
            )
        for name in ("Blessing", "Amara"):
            await group_service.join_group(session, account_id=accounts[name].id, group_id=group.id)
        # Farah's mentorship was confirmed on approval, which opened the pair's room.
        farah_mentorship = next(
            m
            for m in await mentoring_service.mentorships_of(session, accounts["Farah"].id)
            if m.status == MentorshipStatus.ACTIVE
        )
        mentor_name = next(n for n, a in accounts.items() if a.id == farah_mentorship.mentor_id)
        mentoring = await room_rooms.open_mentoring_room(
            session, mentor_id=farah_mentorship.mentor_id, mentee_id=accounts["Farah"].id
        )
        direct = await room_direct.open_direct_conversation(
            session, actors["Lina"], other_id=accounts["Joy"].id
        )
        await room_direct.answer_direct_conversation(session, actors["Joy"], direct.id, accept=True)
        talk = [
            (circle.id, ["Ioana", "Lina", "Joy", "Blessing", "Amara"], 140),
            (working.id, ["Ioana", "Blessing", "Amara"], 40),
            (roots.id, ["Amara", "Noor", "Ioana", "Blessing"], 40),
            (mentoring.id, [mentor_name, "Farah"], 50),
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
                await room_messages.post_message(
                    session,
                    actors[rng.choice(speakers)],
                    room_id,
                    client_id=f"demo-{counter}",
                    body=rng.choice(_LINES),
                )
        # Joy reads the circle only when she is named; mentions reach people's feeds.
        await room_messages.set_notify_level(
            session, actors["Joy"], circle.id, NotifyLevel.MENTIONS
        )
        for room_id, author, body in (
            (circle.id, "Ioana", "@Joy could you bring the leaflets on Tuesday?"),
            (
                circle.id,
                "Blessing",
                "@Lina the French class starts next week, ask me for the address.",
            ),
            (roots.id, "Amara", "@Blessing can you look at Dalia's application this week?"),
        ):
            clock.advance(minutes=30)
            await room_messages.post_message(
                session, actors[author], room_id, client_id=f"demo-mention-{counter}", body=body
            )
            counter += 1
    questions = [
        FeedbackQuestionIn(text="How useful was this session?", kind="scale"),
        FeedbackQuestionIn(text="What would you change?", kind="text"),
    ]
    attendees = ["Lina", "Joy", "Blessing", "Amara"]
    # A session tomorrow evening: its members find the reminder in their feeds.
    for offset in (-14, -7, 0.8, 7, 14):
        starts = now + timedelta(days=offset)
        if 0 < offset < 1:
            starts = starts.replace(minute=0, second=0)
        held = await room_group_sessions.schedule_session(
            session,
            actors["Ioana"],
            circle.id,
            GroupSessionCreate(
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                topic="Sleep and stress"
                if offset < 0
                else "Rights at work"
                if offset > 1
                else "Evening circle",
                language="en",
            ),
        )
        if offset > 0:
            continue
        came = attendees[: 3 if offset == -14 else 4]
        await room_group_sessions.record_attendance(
            session, actors["Ioana"], circle.id, held.id, account_ids=[accounts[n].id for n in came]
        )
        asked = await room_group_sessions.set_feedback_questions(
            session, actors["Ioana"], circle.id, held.id, questions=questions
        )
        for name in came:
            await room_group_sessions.submit_feedback(
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
    _series, workshops = await room_group_sessions.create_series(
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
        await room_group_sessions.record_attendance(
            session,
            actors["Ioana"],
            circle.id,
            held.id,
            account_ids=[accounts[n].id for n in ("Lina", "Joy")],
        )
    await demo_safety(session, actors, accounts, circle.id, secret=runtime.auth.secret)
    # The login sessions above only served to act as each person.
    for opened_session in opened:
        await auth_service.revoke_session(session, opened_session)


async def demo_notifications(session: AsyncSession, accounts: dict[str, Account]) -> None:
    """The notices that fall due now, and feeds read up to their last two items: the
    services above made the rest (votes, outcome, card, mentor, roster, swaps, mentions)."""
    await vote_service.remind_voters(session)
    await card_service.remind_expiring_cards(session)
    await notification_tasks.remind_sessions(session)
    await peerwork_tasks.remind_debriefs(session)
    for account in accounts.values():
        head = await notification_service.head_of(session, account.id)
        if head > 2:
            await notification_service.mark_all_read(session, account.id, up_to_seq=head - 2)
