"""The demo community: people at every step of the path, made through the service functions.

Deterministic: the same seed gives the same people, roles, organisations, identities and
choices. Later domains add their part (rooms, shifts) here.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Role, grants_from_roles
from backend.auth.dependencies import Actor
from backend.auth.lookup import held as held_role
from backend.auth.lookup import live, signed_in
from backend.auth.models import Account
from backend.core.config import Settings
from backend.core.errors import Conflict, InvalidInput
from backend.core.time import frozen_clock, utc_now
from backend.identity import service as identity_service
from backend.membership import agreements as agreement_service
from backend.membership import applications as application_service
from backend.membership import cards as card_service
from backend.membership import referrals as referral_service
from backend.membership import status as status_service
from backend.membership import votes as vote_service
from backend.membership import working_groups as group_service
from backend.membership.approval import CloseContext
from backend.membership.models import AgreementKind, MemberStatus
from backend.mentoring import service as mentoring_service
from backend.mentoring.models import MentorshipStatus
from backend.notification import service as notification_service
from backend.notification import tasks as notification_tasks
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from backend.peerwork import availability as availability_service
from backend.peerwork import contracts as contract_service
from backend.peerwork import debriefs as debrief_service
from backend.peerwork import onboarding as onboarding_service
from backend.peerwork import shifts as shift_service
from backend.peerwork import swaps as swap_service
from backend.peerwork import tasks as peerwork_tasks
from backend.peerwork import timesheets as timesheet_service
from backend.peerwork import trainings as training_service
from backend.peerwork import work_settings
from backend.peerwork.models import (
    Assignment,
    AssignmentRole,
    ContractKind,
    FundingKind,
    Roster,
    RosterStatus,
    Shift,
    ShiftKind,
    TimesheetStatus,
)
from backend.peerwork.roster import service as roster_service
from backend.peerwork.roster import solver as roster_solver
from backend.room import access as room_access
from backend.room import direct as room_direct
from backend.room import group_sessions as room_group_sessions
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.room.models import NotifyLevel, RoomKind
from backend.room.schemas import FeedbackAnswerIn, FeedbackQuestionIn, GroupSessionCreate
from backend.runtime import Runtime, build_runtime
from backend.safeguarding import service as safeguarding_service
from moderation import restrictions as restrictions_policy
from moderation.cases import Decision
from moderation.reports import ReportKind, TargetKind

DEMO_PASSWORD = "tandem-demo-walk"  # noqa: S105 - printed on purpose: demo accounts only

HARBOUR = "Harbour Outreach"
OPEN_DOOR = "Open Door Advice"

RULES = {
    (AgreementKind.COMMUNITY_RULES, "en"): (
        "Community rules",
        "We listen without judging. What is said in a group stays in the group. We never "
        "share anyone's name, photo, address or contact. We call each other by pseudonyms. "
        "We ask before we help. We report anyone who tries to recruit, pressure or find a "
        "member.",
    ),
    (AgreementKind.COMMUNITY_RULES, "fr"): (
        "Règles de la communauté",
        "Nous écoutons sans juger. Ce qui se dit dans un groupe reste dans le groupe. Nous ne "
        "partageons jamais le nom, la photo, l'adresse ou le contact de quiconque.",
    ),
    (AgreementKind.ACTIVE_MEMBER_RULES, "en"): (
        "Active member rules",
        "Active members welcome newcomers, take part in Roots meetings and votes, keep "
        "interview reports confidential, mentor when they can, and step aside from any vote "
        "where they know the applicant outside the community.",
    ),
}
CRITERIA = (
    ("Listens without judging", "In groups and one to one, she lets others speak."),
    ("Keeps confidences", "What she hears in the community stays in the community."),
    ("Takes part regularly", "She comes to groups or working groups most months."),
)


@dataclass(frozen=True)
class DemoPerson:
    pseudonym: str
    language: str
    city: str | None
    status: MemberStatus
    roles: tuple[tuple[Role, str | None], ...] = ()


FOUNDERS = (
    DemoPerson("Amara", "en", "Lyon", MemberStatus.ACTIVE, ((Role.ADMIN, None),)),
    DemoPerson("Noor", "fr", "Paris", MemberStatus.ACTIVE, ((Role.SAFEGUARDING, None),)),
    DemoPerson(
        "Ioana", "ro", "Lyon", MemberStatus.ACTIVE, ((Role.MENTOR, None), (Role.FACILITATOR, None))
    ),
    DemoPerson(
        "Blessing",
        "en",
        "Paris",
        MemberStatus.ACTIVE,
        ((Role.MENTOR, None), (Role.ROOTS_COORDINATOR, None)),
    ),
    # Joined early and was trusted; the demo's confirmed infiltrator.
    DemoPerson("Vera", "en", "Lyon", MemberStatus.ACTIVE),
)
OTHERS = (
    DemoPerson("Selin", "en", None, MemberStatus.NEWCOMER, ((Role.SAFEGUARDING, None),)),
    DemoPerson("Claire", "fr", None, MemberStatus.NEWCOMER, ((Role.COORDINATOR, HARBOUR),)),
    DemoPerson("Hugo", "fr", None, MemberStatus.NEWCOMER, ((Role.PROFESSIONAL, HARBOUR),)),
    DemoPerson("Lina", "es", "Lyon", MemberStatus.MEMBER),
    DemoPerson("Joy", "en", "Lyon", MemberStatus.MEMBER, ((Role.PEER_WORKER, HARBOUR),)),
    DemoPerson("Mira", "fr", None, MemberStatus.NEWCOMER),
    DemoPerson("Dalia", "en", "Paris", MemberStatus.MEMBER),
    DemoPerson("Esther", "en", "Lyon", MemberStatus.MEMBER),
    DemoPerson("Farah", "en", "Lyon", MemberStatus.MEMBER),
    DemoPerson("Sam", "fr", None, MemberStatus.NEWCOMER, ((Role.PROFESSIONAL, HARBOUR),)),
    DemoPerson("Paula", "fr", None, MemberStatus.NEWCOMER, ((Role.PAYROLL, HARBOUR),)),
    *(
        DemoPerson(name, "en", "Lyon", MemberStatus.MEMBER)
        for name in ("Aylin", "Bea", "Chidi", "Dina", "Efe", "Gloria", "Hana", "Ivy")
    ),
)
# Twelve peer workers with varied contracts: (pseudonym, kind, rate per hour in cents,
# weekly cap in hours, trainings).
PEER_WORKERS = (
    ("Joy", ContractKind.EMPLOYMENT, 1450, 24, ("Outreach safety", "First aid")),
    ("Lina", ContractKind.PROJECT_CONTRACT, 1500, 20, ("Outreach safety", "Helpline")),
    ("Dalia", ContractKind.INTERNSHIP, 900, 20, ("Helpline",)),
    ("Farah", ContractKind.EMPLOYMENT, 1450, 24, ("Outreach safety", "Interpreting")),
    ("Aylin", ContractKind.VOUCHERS, 1000, 10, ("Helpline",)),
    ("Bea", ContractKind.REIMBURSED_VOLUNTEER, 800, 8, ("First aid",)),
    ("Chidi", ContractKind.EMPLOYMENT, 1450, 28, ("Outreach safety", "Helpline", "First aid")),
    ("Dina", ContractKind.PROJECT_CONTRACT, 1500, 16, ("Interpreting",)),
    ("Efe", ContractKind.VOUCHERS, 1000, 10, ("Outreach safety",)),
    ("Gloria", ContractKind.EMPLOYMENT, 1450, 20, ("Helpline", "First aid")),
    ("Hana", ContractKind.INTERNSHIP, 900, 16, ("Outreach safety", "Interpreting")),
    ("Ivy", ContractKind.REIMBURSED_VOLUNTEER, 800, 8, ("Helpline",)),
)

_GIVEN = ["Ada", "Grace", "Rosa", "Maya", "Elena", "Sara"]
_FAMILY = ["Example", "Sample", "Placeholder", "Demo"]


def describe(pseudonym: str, status: str, roles: list[tuple[Role, str | None]], note: str) -> str:
    held = [r + (f"@{org}" if org else "") for r, org in roles]
    # Staff who are not on the membership path are shown as staff, not as newcomers.
    shown = "staff" if status == MemberStatus.NEWCOMER and held else status
    return ", ".join([shown, *held]) + (f" — {note}" if note else "")


class _Builder:
    def __init__(self, runtime: Runtime, session: AsyncSession, rng: random.Random) -> None:
        self.runtime = runtime
        self.session = session
        self.rng = rng
        self.accounts: dict[str, Account] = {}
        self.organisations: dict[str, uuid.UUID] = {}
        self.notes: dict[str, str] = {}
        self.admin_id: uuid.UUID | None = None

    def id(self, pseudonym: str) -> uuid.UUID:
        return self.accounts[pseudonym].id

    async def person(self, person: DemoPerson) -> None:
        account, _codes = await auth_service.register_account(
            self.session,
            self.runtime.auth,
            pseudonym=person.pseudonym,
            password=DEMO_PASSWORD,
            language=person.language,
            client_key="demo",
        )
        self.accounts[person.pseudonym] = account
        await status_service.set_profile(
            self.session,
            account_id=account.id,
            languages=[person.language, "en"],
            city=person.city,
            region=None,
        )
        if self.admin_id is None:
            self.admin_id = account.id
            await self.community_setup()
        for role, org in person.roles:
            await auth_service.grant_role(
                self.session,
                actor_id=self.admin_id,
                account_id=account.id,
                role=role,
                organisation_id=self.organisations[org] if org else None,
            )
        if person.status == MemberStatus.MEMBER:
            await self.make_member(person.pseudonym)
        if person.status == MemberStatus.ACTIVE:
            await self.sign(person.pseudonym, AgreementKind.COMMUNITY_RULES)
            assert self.admin_id is not None  # noqa: S101 - set by the first person
            await status_service.found_active_member(
                self.session, admin_id=self.admin_id, account_id=account.id
            )
            await self.sign(person.pseudonym, AgreementKind.ACTIVE_MEMBER_RULES)
        if (Role.MENTOR, None) in person.roles:
            await mentoring_service.set_mentor_profile(
                self.session,
                account_id=account.id,
                languages=[person.language, "en"],
                city=person.city,
                region=None,
                capacity=2,
                available=True,
            )

    async def community_setup(self) -> None:
        assert self.admin_id is not None  # noqa: S101 - called once the admin exists
        for name, kind in (
            (HARBOUR, OrganisationKind.BOTH),
            (OPEN_DOOR, OrganisationKind.REFERRING_CHARITY),
        ):
            organisation = await organisation_service.create_organisation(
                self.session, actor_id=self.admin_id, name=name, kind=kind
            )
            self.organisations[name] = organisation.id
        for (agreement, language), (title, body) in RULES.items():
            await agreement_service.publish_agreement(
                self.session,
                admin_id=self.admin_id,
                kind=agreement,
                language=language,
                title=title,
                body=body,
                version=1 if language != "en" else None,
            )
        for position, (title, description) in enumerate(CRITERIA):
            await agreement_service.add_criterion(
                self.session,
                admin_id=self.admin_id,
                title=title,
                description=description,
                position=position,
            )

    async def sign(self, pseudonym: str, kind: AgreementKind) -> None:
        await status_service.sign_agreement(
            self.session, account_id=self.id(pseudonym), kind=kind, version=1, language="en"
        )

    async def make_member(self, pseudonym: str) -> None:
        await self.sign(pseudonym, AgreementKind.COMMUNITY_RULES)
        await status_service.confirm_participation(
            self.session,
            facilitator_id=self.id("Ioana"),
            account_id=self.id(pseudonym),
            note="came to a support group",
        )

    async def application(self, pseudonym: str, interviewer: str, *, report: bool) -> uuid.UUID:
        application = await application_service.submit_application(
            self.session,
            applicant_id=self.id(pseudonym),
            motivation="I would like to welcome newcomers at the Tuesday group.",
            working_group_ids=[],
        )
        await application_service.assign_interviewers(
            self.session,
            coordinator_id=self.id("Blessing"),
            application_id=application.id,
            interviewer_ids=[self.id(interviewer)],
        )
        if report:
            criteria = await agreement_service.list_criteria(self.session)
            await application_service.write_report(
                self.session,
                interviewer_id=self.id(interviewer),
                application_id=application.id,
                summary="We met for an hour. She is calm, reliable and already helps others.",
                assessments=[
                    (c.id, self.rng.choice(["meets", "meets", "partly"]), "") for c in criteria
                ],
            )
            await self.sign(pseudonym, AgreementKind.ACTIVE_MEMBER_RULES)
        return application.id


async def load_demo(
    settings: Settings, *, seed: int = 7, only_if_empty: bool = False
) -> list[tuple[str, str]]:
    rng = random.Random(seed)  # noqa: S311 - demo names, not secrets
    runtime = build_runtime(settings)
    try:
        async with runtime.db.session() as session:
            if only_if_empty and (await session.exec(select(Account).limit(1))).first():
                return []
            build = _Builder(runtime, session, rng)
            # The founders have been active for two months: long enough to vote.
            with frozen_clock(utc_now() - timedelta(days=60)):
                for person in FOUNDERS:
                    await build.person(person)
            for person in OTHERS:
                await build.person(person)
            await build_steps(build)
            await build_peer_work(build)
            await _demo_rooms(session, runtime, build.accounts, rng)
            build.notes["Vera"] = (
                "a confirmed infiltration: her case and trust graph are in the queue"
            )
            build.notes["Ivy"] = "restricted (read-only, hidden) while a report is reviewed"
            build.notes["Efe"] = "reported for spam: the report waits in the queue"
            build.notes["Dalia"] += "; a report about her was closed with no action"
            listing = []
            for person in (*FOUNDERS, *OTHERS):
                account_id = build.id(person.pseudonym)
                membership = await status_service.load_membership(session, account_id)
                grants = await auth_service.list_role_grants(session, account_id)
                held: list[tuple[Role, str | None]] = [
                    (
                        g.role,
                        next(
                            (n for n, i in build.organisations.items() if i == g.organisation_id),
                            None,
                        ),
                    )
                    for g in grants
                    if g.role not in (Role.MEMBER, Role.ACTIVE_MEMBER)
                ]
                listing.append(
                    (
                        person.pseudonym,
                        describe(
                            person.pseudonym,
                            membership.status,
                            held,
                            build.notes.get(person.pseudonym, ""),
                        ),
                    )
                )
            await _demo_notifications(session, build.accounts)
            return listing
    finally:
        await runtime.close()


async def build_steps(build: _Builder) -> None:
    session, runtime = build.session, build.runtime
    # Sealed identities for the peer worker (payroll) and one member, and a pending unsealing.
    for pseudonym in ("Joy", "Lina"):
        await identity_service.seal_identity(
            session,
            runtime.vault,
            account_id=build.id(pseudonym),
            fields={
                "legal_name": f"{build.rng.choice(_GIVEN)} {build.rng.choice(_FAMILY)}",
                "date_of_birth": date(
                    build.rng.randint(1970, 1999),
                    build.rng.randint(1, 12),
                    build.rng.randint(1, 28),
                ).isoformat(),
                "phone": None,
                "email": None,
                "address": None,
                "notes": "Demo data: not a real person.",
            },
        )
    await identity_service.request_unseal(
        session,
        officer_id=build.id("Noor"),
        account_id=build.id("Joy"),
        reason="Payroll for the Harbour Outreach contract needs her legal name.",
        emergency=False,
    )
    # A referral waiting to be used.
    claire_grants = grants_from_roles([(Role.COORDINATOR, build.organisations[HARBOUR])])
    assert claire_grants.can(Capability.MEMBERSHIP_REFER, build.organisations[HARBOUR])  # noqa: S101
    await referral_service.create_referral(
        session,
        vault=runtime.vault,
        secret=runtime.auth.secret,
        actor_id=build.id("Claire"),
        grants=claire_grants,
        organisation_id=build.organisations[HARBOUR],
        note="Met at the drop-in on Thursday; prefers French.",
    )
    build.notes["Claire"] = "has a referral waiting to be used"
    # Dalia: in interview. Esther: her vote is open with two ballots. Farah: approved.
    await build.application("Dalia", "Vera", report=False)
    build.notes["Dalia"] = "application in interview (Vera)"
    context = CloseContext(card_signer=runtime.card_signer)
    esther = await build.application("Esther", "Ioana", report=True)
    vote = await vote_service.open_vote(
        session, coordinator_id=build.id("Blessing"), application_id=esther, deadline=None
    )
    for voter in ("Amara", "Noor", "Vera"):
        await vote_service.cast_ballot(
            session,
            voter_id=build.id(voter),
            vote_id=vote.id,
            choice="yes",
            notes={},
            context=context,
        )
    build.notes["Esther"] = "her Roots vote is open: 3 of 5 ballots cast (one by Vera)"
    farah = await build.application("Farah", "Blessing", report=True)
    vote = await vote_service.open_vote(
        session, coordinator_id=build.id("Blessing"), application_id=farah, deadline=None
    )
    for voter in ("Amara", "Noor", "Ioana", "Blessing", "Vera"):
        await vote_service.cast_ballot(
            session,
            voter_id=build.id(voter),
            vote_id=vote.id,
            choice="yes",
            notes={},
            context=context,
        )
    for mentorship in await mentoring_service.mentorships_of(session, build.id("Farah")):
        if mentorship.status == MentorshipStatus.PROPOSED:
            await mentoring_service.confirm_mentorship(
                session,
                coordinator_id=build.id("Blessing"),
                mentorship_id=mentorship.id,
                mentor_id=None,
                reason=None,
            )
    build.notes["Farah"] = "approved: mentor confirmed, card issued"
    build.notes["Mira"] = "self-registered, unvouched"


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
    await _demo_safety(session, actors, accounts, circle.id)
    # The login sessions above only served to act as each person.
    for opened_session in opened:
        await auth_service.revoke_session(session, opened_session)


async def _demo_safety(
    session: AsyncSession,
    actors: dict[str, Actor],
    accounts: dict[str, Account],
    circle_id: uuid.UUID,
) -> None:
    """Reports at every stage, a restricted account, a confirmed infiltration."""
    account_target = safeguarding_service.ReportTarget
    # Received, nobody on it yet.
    await safeguarding_service.file_report(
        session,
        actors["Bea"],
        kind=ReportKind.SPAM,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Efe"].id),
        description="Sends the same advert to everyone.",
        immediate_danger=False,
    )
    # In review with Selin; an interim restriction on Ivy while it is examined.
    await safeguarding_service.file_report(
        session,
        actors["Hana"],
        kind=ReportKind.HARASSMENT,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Ivy"].id),
        description="Keeps commenting on what I wear after the group.",
        immediate_danger=False,
    )
    queue = await safeguarding_service.triage_queue(session, actors["Noor"])
    ivy_case = next(i.case for i in queue if i.case.target_account_id == accounts["Ivy"].id)
    await safeguarding_service.assign_case(
        session, actors["Noor"], ivy_case.id, officer_id=accounts["Selin"].id
    )
    await safeguarding_service.restrict_for_case(
        session,
        actors["Selin"],
        ivy_case.id,
        effects=restrictions_policy.INTERIM,
        reason="While we listen to both sides.",
        expires_at=datetime.now(UTC) + timedelta(days=14),
    )
    await safeguarding_service.add_note(
        session, actors["Selin"], ivy_case.id, body="Call with Hana on Monday; then with Ivy."
    )
    # Closed with no action.
    await safeguarding_service.file_report(
        session,
        actors["Aylin"],
        kind=ReportKind.HARASSMENT,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Dalia"].id),
        description="She was cold to me at the drop-in.",
        immediate_danger=False,
    )
    queue = await safeguarding_service.triage_queue(session, actors["Noor"])
    dalia_case = next(i.case for i in queue if i.case.target_account_id == accounts["Dalia"].id)
    await safeguarding_service.decide_case(
        session,
        actors["Noor"],
        dalia_case.id,
        decision=Decision.NO_ACTION,
        reason="A misunderstanding about a shared taxi; both are fine now.",
    )
    # Vera: reported by Lina, confirmed as an infiltrator. Her trust graph shows whom she
    # interviewed (Dalia) and voted on (Esther's vote is still open, Farah was approved); the
    # cascade is left for an officer to apply from the case page.
    await safeguarding_service.file_report(
        session,
        actors["Lina"],
        kind=ReportKind.RECRUITMENT,
        target=account_target(TargetKind.ACCOUNT, account_id=accounts["Vera"].id),
        description="Offered me cleaning work in another city and asked where I sleep now.",
        immediate_danger=True,
    )
    queue = await safeguarding_service.triage_queue(session, actors["Noor"])
    vera_case = next(i.case for i in queue if i.case.target_account_id == accounts["Vera"].id)
    await safeguarding_service.decide_case(
        session,
        actors["Noor"],
        vera_case.id,
        decision=Decision.EXPULSION,
        reason="Three newcomers described the same job offer and questions about addresses.",
        infiltration_confirmed=True,
    )


async def _demo_swap(
    build: _Builder, roster_row: Roster, assignments: list[Assignment], now: datetime
) -> None:
    """A peer asks a colleague to take a coming shift; the colleague agrees; the swap waits
    for Claire's approval (each step lands in someone's notifications)."""
    session = build.session
    peers = sorted({a.account_id for a in assignments if a.role == AssignmentRole.PEER}, key=str)
    for assignment in sorted(assignments, key=lambda a: str(a.id)):
        shift = await session.get(Shift, assignment.shift_id)
        if assignment.role != AssignmentRole.PEER or shift is None or shift.starts_at <= now:
            continue
        for colleague in peers:
            if colleague == assignment.account_id:
                continue
            try:
                swap = await swap_service.propose_swap(
                    session, assignment=assignment, roster_row=roster_row, to_account_id=colleague
                )
            except (Conflict, InvalidInput):
                continue
            await swap_service.answer_swap(session, swap=swap, account_id=colleague, accept=True)
            return


async def _demo_notifications(session: AsyncSession, accounts: dict[str, Account]) -> None:
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


async def build_peer_work(build: _Builder) -> None:
    """Harbour Outreach: 3 staff, 12 peer workers, 4 weeks of shifts (two past, two to
    come), a published roster, approved hours for the past fortnight and a few debriefs."""
    session = build.session
    org = build.organisations[HARBOUR]
    claire = build.id("Claire")
    today = utc_now().date()
    monday = today - timedelta(days=today.weekday() + 14)
    start_of_work = monday - timedelta(days=60)
    with frozen_clock(utc_now() - timedelta(days=30)):
        grant = await contract_service.create_funding(
            session,
            actor_id=claire,
            organisation_id=org,
            kind=FundingKind.GRANT,
            name="Night outreach grant",
            funder="City social fund",
            budget_minor=4_000_000,
            currency="EUR",
            starts_on=start_of_work,
            ends_on=start_of_work + timedelta(days=365),
        )
        trainings = {
            name: await training_service.create_training(
                session, actor_id=claire, organisation_id=org, name=name, validity_days=days
            )
            for name, days in (
                ("Outreach safety", 365),
                ("Helpline", 365),
                ("First aid", 730),
                ("Interpreting", 1095),
            )
        }
        workers = {}
        for position, (name, kind, rate, cap, done) in enumerate(PEER_WORKERS):
            invited = await onboarding_service.invite_worker(
                session, actor_id=claire, organisation_id=org, pseudonym=name
            )
            worker = await onboarding_service.answer_invitation(
                session, worker=invited, accept=True, shared_name=None
            )
            workers[name] = worker
            await contract_service.create_contract(
                session,
                actor_id=claire,
                worker=worker,
                kind=kind,
                starts_on=start_of_work,
                ends_on=None,
                rate_minor=rate,
                currency="EUR",
                weekly_cap_minutes=cap * 60,
                funding_id=grant.id,
            )
            for training in done:
                await training_service.record_training(
                    session,
                    actor_id=claire,
                    worker=worker,
                    training_id=trainings[training].id,
                    # One outreach training runs out soon: an expiry warning to see.
                    completed_on=start_of_work - timedelta(days=320 if position == 0 else 30),
                )
            days_off = {position % 7}
            await availability_service.set_availability(
                session,
                organisation_id=org,
                account_id=worker.account_id,
                weekly=[
                    availability_service.WindowIn(day, 8 * 60, 24 * 60, preferred=day < 5)
                    for day in range(7)
                    if day not in days_off
                ],
                exceptions=[],
            )
            await onboarding_service.set_supervisor(
                session,
                actor_id=claire,
                worker=worker,
                supervisor_id=build.id("Hugo" if position % 2 else "Sam"),
            )
        await availability_service.set_exclusions(
            session, actor_id=claire, worker=workers["Farah"], zones=["Station district"]
        )
        for staff in ("Hugo", "Sam"):
            await availability_service.set_availability(
                session,
                organisation_id=org,
                account_id=build.id(staff),
                weekly=[availability_service.WindowIn(day, 8 * 60, 24 * 60) for day in range(7)],
                exceptions=[],
            )
        kinds = {}
        for name, shift_kind, zone, needed in (
            ("Evening round", ShiftKind.OUTREACH, "Station district", ("Outreach safety",)),
            ("Drop-in counter", ShiftKind.DROP_IN, "Centre", ()),
            ("Phone line", ShiftKind.HELPLINE, "Remote", ("Helpline",)),
            ("Group session", ShiftKind.GROUP, "Centre", ("First aid",)),
            ("Accompaniment", ShiftKind.ACCOMPANIMENT, "Town hall", ("Interpreting",)),
        ):
            kinds[shift_kind] = await shift_service.create_shift_type(
                session,
                actor_id=claire,
                organisation_id=org,
                name=name,
                kind=shift_kind,
                needs_pairing=None,
                needs_debrief=None,
                zone=zone,
                required_training_ids=[trainings[t].id for t in needed],
                night_start_minute=22 * 60,
                night_end_minute=6 * 60,
                night_premium_percent=25 if shift_kind == ShiftKind.OUTREACH else 0,
            )
        settings = await work_settings.organisation_tz(session, org)
        items = []
        for offset in range(28):
            day = monday + timedelta(days=offset)

            def local(hour: int, day: date = day) -> datetime:
                return datetime.combine(day, time(hour % 24)).replace(tzinfo=settings) + timedelta(
                    days=hour // 24
                )

            day_plan = [(ShiftKind.DROP_IN, 9, 13, 2), (ShiftKind.HELPLINE, 14, 20, 1)]
            if day.weekday() in (1, 3, 5):
                day_plan.append((ShiftKind.OUTREACH, 19, 23, 2))
            if day.weekday() == 2:
                day_plan.append((ShiftKind.GROUP, 17, 19, 1))
            if day.weekday() in (0, 4):
                day_plan.append((ShiftKind.ACCOMPANIMENT, 10, 12, 1))
            for shift_kind, begin, end, peers in day_plan:
                items.append(
                    shift_service.ShiftIn(
                        shift_type_id=kinds[shift_kind].id,
                        starts_at=local(begin),
                        ends_at=local(end),
                        zone=None,
                        place="",
                        peers_needed=peers,
                        professionals_needed=None,
                    )
                )
        await shift_service.create_shifts(
            session, actor_id=claire, organisation_id=org, shifts=items
        )
        plan = await roster_service.plan_roster(
            session,
            organisation_id=org,
            starts_on=monday,
            ends_on=monday + timedelta(days=27),
            time_limit_seconds=2,
            workers=build.runtime.settings.roster_search_workers,
        )
        solution = roster_solver.solve(plan.problem)
        roster_row = await roster_service.store_roster(
            session, actor_id=claire, plan=plan, solution=solution
        )
        await roster_service.publish_roster(session, actor_id=claire, roster_row=roster_row)
    assert roster_row.status == RosterStatus.PUBLISHED  # noqa: S101 - demo sanity
    # The past fortnight: hours confirmed; most approved; debriefs after outreach.
    assignments = await roster_service.list_assignments(session, roster_row.id)
    now = utc_now()
    shifts = {s.id: s for s in await shift_service.list_shifts(session, org, monday, today)}
    for number, assignment in enumerate(sorted(assignments, key=lambda a: str(a.id))):
        shift = shifts.get(assignment.shift_id)
        if shift is None or shift.ends_at > now or assignment.role != AssignmentRole.PEER:
            continue
        sheet = await timesheet_service.confirm_hours(
            session,
            assignment=assignment,
            actual_start=shift.starts_at,
            actual_end=shift.ends_at + timedelta(minutes=15 * (number % 3)),
        )
        if number % 5:
            await timesheet_service.decide_timesheet(
                session, actor_id=claire, sheet=sheet, approve=True, note=None
            )
        shift_type = next(t for t in kinds.values() if t.id == shift.shift_type_id)
        if shift_type.needs_debrief and number % 4 == 0:
            await debrief_service.submit_debrief(
                session,
                assignment=assignment,
                wellbeing=2 if number % 8 == 0 else 4,
                incident=number % 8 == 0,
                incident_note="Demo: someone asked questions we did not answer."
                if number % 8 == 0
                else None,
                wants_to_talk=False,
            )
    await _demo_swap(build, roster_row, assignments, now)
    approved = await timesheet_service.list_timesheets(session, org, TimesheetStatus.APPROVED)
    build.notes["Claire"] = (
        build.notes.get("Claire", "")
        + f"; coordinates 12 peer workers: roster published ({len(assignments)} places, "
        f"{len(solution.shortfalls)} short), {len(approved)} timesheets approved"
    ).lstrip("; ")
    build.notes["Paula"] = "reads payroll identity with a stated reason"
