"""The demo community: a few people in every role, made through the service functions.

Deterministic: the same seed gives the same people, roles, organisations and identities.
Later domains add their part (rooms, applications, shifts) here.
"""

import random
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.auth.models import Account
from backend.core.config import Settings
from backend.identity import service as identity_service
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from backend.runtime import build_runtime

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
            return created
    finally:
        await runtime.close()
