"""A small community built through the HTTP API: rules, criteria, founding Roots."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import Role
from backend.core.config import Settings
from tests.conftest import Person, grant, make_settings, person_with, register

RULES_TEXT = "Be kind. Keep what is said here private. Never share anyone's identity."
ACTIVE_TEXT = "Active members welcome newcomers, take part in Roots and keep confidences."


@dataclass
class Community:
    app: FastAPI
    client: httpx.AsyncClient
    admin: Person
    officer: Person
    facilitator: Person
    coordinator: Person
    roots: list[Person] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)

    async def call(
        self, person: Person, method: str, path: str, body: Any = None, expect: int | None = None
    ) -> Any:
        response = await self.client.request(method, path, json=body, headers=person.auth)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.text)
        return response.json() if response.content else None

    async def publish(self, kind: str, text: str, language: str = "en") -> int:
        body = await self.call(
            self.admin,
            "POST",
            "/api/agreements",
            {"kind": kind, "language": language, "title": kind.replace("_", " "), "body": text},
            expect=201,
        )
        return int(body["version"])

    async def sign(self, person: Person, kind: str, version: int | None = None) -> None:
        if version is None:
            current = await self.call(person, "GET", f"/api/agreements/{kind}", expect=200)
            version = current[0]["version"]
        await self.call(
            person,
            "POST",
            f"/api/agreements/{kind}/signatures",
            {"version": version, "language": "en"},
            expect=201,
        )

    async def set_rules(self, **changes: int) -> None:
        await self.call(self.admin, "PUT", "/api/membership/rules", changes, expect=200)

    async def newcomer(self, pseudonym: str) -> Person:
        return await register(self.client, pseudonym)

    async def vouch(self, person: Person, voucher: Person | None = None) -> Any:
        return await self.call(
            voucher or self.facilitator, "POST", f"/api/members/{person.id}/vouch", expect=200
        )

    async def member(self, pseudonym: str) -> Person:
        """A newcomer the facilitator vouched for, who signed the rules and took part."""
        person = await self.newcomer(pseudonym)
        await self.vouch(person)
        await self.sign(person, "community_rules")
        await self.call(
            self.facilitator,
            "POST",
            f"/api/members/{person.id}/participation",
            {"note": "came to the Tuesday group"},
            expect=200,
        )
        me = await self.call(person, "GET", "/api/membership/me", expect=200)
        assert me["status"] == "member"
        return person

    async def grant_member_role_without_status(self, person: Person) -> None:
        """Give the member role by hand, as an admin could: the status still decides."""
        await grant(self.app, person, Role.MEMBER)

    async def founding_active(self, pseudonym: str) -> Person:
        person = await self.member(pseudonym)
        await self.call(self.admin, "POST", f"/api/members/{person.id}/founding", expect=200)
        await self.sign(person, "active_member_rules")
        self.roots.append(person)
        return person

    async def application_ready_for_vote(
        self, applicant: Person, interviewers: list[Person] | None = None
    ) -> str:
        application = await self.call(applicant, "POST", "/api/applications", {}, expect=201)
        interviewers = interviewers or self.roots[:1]
        await self.call(
            self.coordinator,
            "PUT",
            f"/api/applications/{application['id']}/interviewers",
            {"interviewer_ids": [str(i.id) for i in interviewers]},
            expect=200,
        )
        await self.call(
            interviewers[0],
            "PUT",
            f"/api/applications/{application['id']}/report",
            {
                "summary": "We met for an hour; she wants to help run the Tuesday group.",
                "assessments": [
                    {"criterion_id": c, "assessment": "meets", "comment": "yes"}
                    for c in self.criteria
                ],
            },
            expect=200,
        )
        await self.sign(applicant, "active_member_rules")
        return str(application["id"])

    async def open_vote(self, application_id: str) -> str:
        vote = await self.call(
            self.coordinator,
            "POST",
            f"/api/applications/{application_id}/votes",
            {},
            expect=201,
        )
        return str(vote["id"])

    async def ballot(self, voter: Person, vote_id: str, choice: str, expect: int = 200) -> Any:
        return await self.call(
            voter, "PUT", f"/api/votes/{vote_id}/ballot", {"choice": choice}, expect=expect
        )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Votes run for days and tests jump over them: sessions must outlive the jumps.
    return make_settings(
        tmp_path, database_url, session_idle_minutes=400 * 24 * 60, session_absolute_hours=400 * 24
    )


@pytest.fixture
async def community(app: FastAPI, client: httpx.AsyncClient) -> Community:
    admin = await person_with(app, client, "Amara", Role.ADMIN)
    officer = await person_with(app, client, "Noor", Role.SAFEGUARDING)
    facilitator = await person_with(app, client, "Ioana", Role.FACILITATOR)
    coordinator = await person_with(app, client, "Roots Coordinator", Role.ROOTS_COORDINATOR)
    built = Community(app, client, admin, officer, facilitator, coordinator)
    await built.publish("community_rules", RULES_TEXT)
    await built.publish("active_member_rules", ACTIVE_TEXT)
    for title in ("Listens without judging", "Keeps confidences"):
        criterion = await built.call(
            admin,
            "POST",
            "/api/criteria",
            {"title": title, "description": f"{title}, in groups and one to one."},
            expect=201,
        )
        built.criteria.append(criterion["id"])
    await built.set_rules(min_active_days_to_vote=0)
    return built


async def roots_of(community: Community, count: int) -> list[Person]:
    for n in range(count):
        await community.founding_active(f"Root {chr(65 + n)}")
    return community.roots


__all__ = ["Community", "grant", "roots_of"]
