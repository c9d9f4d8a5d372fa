"""An organisation with staff and peer workers, built through the HTTP API.

Time is frozen at Friday 1 March 2030, 08:00 UTC (09:00 in Paris, before summer time):
shifts are planned for the week of Monday 4 March, and tests move the clock forward to
confirm hours. The only steps outside HTTP are what an admin or the membership path would
have done (role grants, member status), as tests/conftest.py's ``grant`` does.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.core.config import Settings
from backend.core.time import MovableClock, frozen_clock
from backend.membership import status as status_service
from backend.membership.models import MemberStatus
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from tests.conftest import Person, grant, make_settings, register

START = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
MONDAY = "2030-03-04"
# Everyone available every day, all day, unless a test says otherwise.
ALWAYS = [{"weekday": d, "start_minute": 0, "end_minute": 24 * 60} for d in range(7)]


def at(day: int, hour: int, minute: int = 0) -> str:
    """An ISO time in March 2030, Paris local time (UTC+1 in early March)."""
    return f"2030-03-{day:02d}T{hour:02d}:{minute:02d}:00+01:00"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Tests move the clock by days: sessions must outlive the jumps.
    return make_settings(
        tmp_path,
        database_url,
        session_idle_minutes=400 * 24 * 60,
        session_absolute_hours=400 * 24,
        roster_time_limit_seconds=2,
    )


@pytest.fixture(autouse=True)
def clock() -> Iterator[MovableClock]:
    with frozen_clock(START) as movable:
        yield movable


@dataclass
class Org:
    app: FastAPI
    client: httpx.AsyncClient
    id: uuid.UUID
    coordinator: Person
    professionals: list[Person] = field(default_factory=list)
    workers: dict[str, Person] = field(default_factory=dict)
    worker_ids: dict[str, str] = field(default_factory=dict)
    funding_id: str = ""
    trainings: dict[str, str] = field(default_factory=dict)
    shift_types: dict[str, str] = field(default_factory=dict)

    async def call(
        self, person: Person, method: str, path: str, body: Any = None, expect: int | None = 200
    ) -> Any:
        response = await self.client.request(method, path, json=body, headers=person.auth)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.text)
        return response.json() if response.content else None

    @property
    def base(self) -> str:
        return f"/api/organisations/{self.id}"

    async def member(self, pseudonym: str) -> Person:
        person = await register(self.client, pseudonym)
        async with self.app.state.db.session() as session:
            await status_service.change_status(
                session,
                actor_id=None,
                account_id=person.id,
                target=MemberStatus.MEMBER,
                reason="took part in the Tuesday group",
            )
        return person

    async def professional(
        self, pseudonym: str, availability: list[dict[str, Any]] | None = None
    ) -> Person:
        person = await register(self.client, pseudonym)
        await grant(self.app, person, Role.PROFESSIONAL, self.id)
        await self.call(
            person,
            "PUT",
            f"{self.base}/my-availability",
            {"weekly": ALWAYS if availability is None else availability},
        )
        self.professionals.append(person)
        return person

    async def worker(
        self,
        pseudonym: str,
        *,
        kind: str = "employment",
        rate_minor: int = 1500,
        cap_minutes: int = 35 * 60,
        starts_on: str = "2030-01-01",
        ends_on: str | None = None,
        trainings: tuple[str, ...] = ("outreach safety",),
        availability: list[dict[str, Any]] | None = None,
    ) -> Person:
        """A member invited, accepted, contracted, trained and available."""
        person = await self.member(pseudonym)
        invited = await self.call(
            self.coordinator,
            "POST",
            f"{self.base}/peer-workers",
            {"pseudonym": pseudonym},
            expect=201,
        )
        await self.call(person, "POST", f"/api/peer-work-invitations/{invited['id']}/accept", {})
        person = await self.refresh(person)
        await self.call(
            self.coordinator,
            "POST",
            f"/api/peer-workers/{invited['id']}/contracts",
            {
                "kind": kind,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "rate_minor": rate_minor,
                "currency": "EUR",
                "weekly_cap_minutes": cap_minutes,
                "funding_id": self.funding_id,
            },
            expect=201,
        )
        for name in trainings:
            await self.call(
                self.coordinator,
                "POST",
                f"/api/peer-workers/{invited['id']}/trainings",
                {"training_id": self.trainings[name], "completed_on": "2030-02-01"},
                expect=201,
            )
        await self.call(
            person,
            "PUT",
            f"{self.base}/my-availability",
            {"weekly": ALWAYS if availability is None else availability},
        )
        self.workers[pseudonym] = person
        self.worker_ids[pseudonym] = invited["id"]
        return person

    async def refresh(self, person: Person) -> Person:
        # Grants are read per request; the token stays valid.
        return person

    async def shifts(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        created: list[dict[str, Any]] = await self.call(
            self.coordinator, "POST", f"{self.base}/shifts", {"shifts": list(items)}, expect=201
        )
        return created

    def shift(
        self,
        kind: str,
        day: int,
        start: int,
        end: int,
        *,
        peers: int = 1,
        zone: str | None = None,
        pros: int | None = None,
    ) -> dict[str, Any]:
        end_day = day if end > start else day + 1
        item: dict[str, Any] = {
            "shift_type_id": self.shift_types[kind],
            "starts_at": at(day, start),
            "ends_at": at(end_day, end % 24),
            "peers_needed": peers,
        }
        if zone is not None:
            item["zone"] = zone
        if pros is not None:
            item["professionals_needed"] = pros
        return item

    async def roster(
        self, starts_on: str = MONDAY, ends_on: str = "2030-03-10", expect: int = 201
    ) -> Any:
        return await self.call(
            self.coordinator,
            "POST",
            f"{self.base}/rosters",
            {"starts_on": starts_on, "ends_on": ends_on, "time_limit_seconds": 2},
            expect=expect,
        )


async def build_org(app: FastAPI, client: httpx.AsyncClient, name: str, coordinator: str) -> Org:
    boss = await register(client, coordinator)
    async with app.state.db.session() as session:
        organisation = await organisation_service.create_organisation(
            session, actor_id=boss.id, name=name, kind=OrganisationKind.EMPLOYER
        )
    await grant(app, boss, Role.COORDINATOR, organisation.id)
    org = Org(app, client, organisation.id, boss)
    funding = await org.call(
        boss,
        "POST",
        f"{org.base}/fundings",
        {
            "kind": "grant",
            "name": "Night outreach 2030",
            "funder": "City fund",
            "budget_minor": 1_000_000,
            "currency": "EUR",
            "starts_on": "2030-01-01",
            "ends_on": "2030-12-31",
        },
        expect=201,
    )
    org.funding_id = funding["id"]
    for training, days in (("outreach safety", 365), ("helpline", 365), ("first aid", 730)):
        created = await org.call(
            boss,
            "POST",
            f"{org.base}/trainings",
            {"name": training, "validity_days": days},
            expect=201,
        )
        org.trainings[training] = created["id"]
    for kind, body in (
        (
            "outreach",
            {
                "name": "Evening round",
                "kind": "outreach",
                "zone": "North",
                "required_training_ids": [org.trainings["outreach safety"]],
                "night_premium_percent": 25,
            },
        ),
        ("drop_in", {"name": "Counter", "kind": "drop_in", "zone": "Centre"}),
        (
            "helpline",
            {
                "name": "Phone",
                "kind": "helpline",
                "zone": "Remote",
                "required_training_ids": [org.trainings["helpline"]],
            },
        ),
    ):
        created = await org.call(boss, "POST", f"{org.base}/shift-types", body, expect=201)
        org.shift_types[kind] = created["id"]
    return org


@pytest.fixture
async def org(app: FastAPI, client: httpx.AsyncClient) -> Org:
    return await build_org(app, client, "Harbour Outreach", "Claire")


@pytest.fixture
async def other_org(app: FastAPI, client: httpx.AsyncClient) -> Org:
    return await build_org(app, client, "Open Door Advice", "Odile")
