"""Real databases for every test: SQLite files always, PostgreSQL with --db=postgres.

Each test gets its own freshly migrated database, copied from a template migrated once per
run (see docs/decisions/0002-test-isolation.md for why not a rolled-back transaction).
"""

import itertools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.core.config import Settings
from backend.main import create_app
from backend.migrations import upgrade_to_head
from tests.postgres_cluster import Cluster, ClusterUnavailable, start_cluster

PASSWORD = "correct horse battery"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("TANDEM_TEST_DB", "sqlite"),
        help="Which database the suite runs on.",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"tandem database: {config.getoption('--db')}"


@dataclass
class DatabaseFactory:
    kind: str
    template: Path | None = None
    cluster: Cluster | None = None
    counter: Iterator[int] = field(default_factory=itertools.count)

    def fresh(self, tmp_path: Path) -> str:
        if self.kind == "sqlite":
            assert self.template is not None
            target = tmp_path / "tandem.db"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        assert self.cluster is not None
        import psycopg

        name = f"t{next(self.counter)}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE tandem_template')
        return self.cluster.url(name)


@pytest.fixture(scope="session")
def database_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    kind = request.config.getoption("--db")
    if kind == "sqlite":
        template = tmp_path_factory.mktemp("template") / "template.db"
        upgrade_to_head(f"sqlite:///{template}")
        yield DatabaseFactory("sqlite", template=template)
        return
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.exit(f"CI must run the PostgreSQL suite, but: {exc}", returncode=3)
        pytest.skip(f"PostgreSQL run skipped: {exc}")
    try:
        import psycopg

        with psycopg.connect(cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE tandem_template")
        upgrade_to_head(cluster.url("tandem_template"))
        yield DatabaseFactory("postgres", cluster=cluster)
    finally:
        cluster.stop()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key_file": tmp_path / "secret.key",
        "environment": "test",
        # Small Argon2 parameters keep the suite fast; one test checks the real defaults.
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
        "argon2_parallelism": 1,
        # Tests drive scheduled work themselves, with an injected clock.
        "run_scheduled_tasks": False,
        # Communities are built from one client address in a burst; the limits' own tests
        # (tests/backend/core/test_rate_limits.py) set theirs.
        "rate_limit_registration": "10000/hour",
        "rate_limit_referrals": "10000/hour",
        "rate_limit_messages": "10000/minute",
        "rate_limit_reports": "10000/hour",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def database_url(database_factory: DatabaseFactory, tmp_path: Path) -> str:
    return database_factory.fresh(tmp_path)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.db.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        yield http


@dataclass
class Person:
    id: uuid.UUID
    pseudonym: str
    password: str
    token: str
    recovery_codes: list[str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(client: httpx.AsyncClient, pseudonym: str, password: str = PASSWORD) -> Person:
    response = await client.post(
        "/api/auth/register",
        json={"pseudonym": pseudonym, "password": password, "client": "api"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Person(
        id=uuid.UUID(body["account"]["id"]),
        pseudonym=pseudonym,
        password=password,
        token=body["token"],
        recovery_codes=body["recovery_codes"],
    )


async def grant(
    app: FastAPI, person: Person, role: Role, organisation_id: uuid.UUID | None = None
) -> None:
    async with app.state.db.session() as session:
        await auth_service.grant_role(
            session,
            actor_id=None,
            account_id=person.id,
            role=role,
            organisation_id=organisation_id,
        )


async def person_with(
    app: FastAPI, client: httpx.AsyncClient, pseudonym: str, *roles: Role
) -> Person:
    person = await register(client, pseudonym)
    for role in roles:
        await grant(app, person, role)
    return person


@pytest.fixture
async def admin(app: FastAPI, client: httpx.AsyncClient) -> Person:
    return await person_with(app, client, "Amara", Role.ADMIN)


@pytest.fixture
async def officer(app: FastAPI, client: httpx.AsyncClient) -> Person:
    return await person_with(app, client, "Noor", Role.SAFEGUARDING)


@pytest.fixture
async def second_officer(app: FastAPI, client: httpx.AsyncClient) -> Person:
    return await person_with(app, client, "Selin", Role.SAFEGUARDING)


@pytest.fixture
async def member(app: FastAPI, client: httpx.AsyncClient) -> Person:
    return await person_with(app, client, "Lina", Role.MEMBER)


@pytest.fixture
async def newcomer(client: httpx.AsyncClient) -> Person:
    return await register(client, "Mira")
