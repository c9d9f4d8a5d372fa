"""The demo community's people and the builder that makes them through the services."""

import random
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.auth.models import Account
from backend.membership import agreements as agreement_service
from backend.membership import applications as application_service
from backend.membership import status as status_service
from backend.membership.models import AgreementKind, MemberStatus
from backend.mentoring import service as mentoring_service
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from backend.peerwork.models import (
    ContractKind,
)
from backend.runtime import Runtime

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
    # A second account of Vera's, made from her phone on her network.
    DemoPerson("Val", "en", None, MemberStatus.NEWCOMER),
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

GIVEN = ["Ada", "Grace", "Rosa", "Maya", "Elena", "Sara"]
FAMILY = ["Example", "Sample", "Placeholder", "Demo"]


def describe(pseudonym: str, status: str, roles: list[tuple[Role, str | None]], note: str) -> str:
    held = [r + (f"@{org}" if org else "") for r, org in roles]
    # Staff who are not on the membership path are shown as staff, not as newcomers.
    shown = "staff" if status == MemberStatus.NEWCOMER and held else status
    return ", ".join([shown, *held]) + (f" — {note}" if note else "")


class Builder:
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
        await status_service.vouch_for(
            self.session, voucher_id=self.id("Ioana"), account_id=self.id(pseudonym)
        )
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
