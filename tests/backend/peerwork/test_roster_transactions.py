"""Roster generation reads, solves and writes in three steps: no transaction is open while
the solver runs, so the rest of the community can write meanwhile (on SQLite a write
transaction holds the database's only write lock for as long as it is open)."""

import sqlite3
from contextlib import closing

import pytest

from backend.core.db import sqlite_path
from backend.organisation.models import Organisation
from backend.peerwork.roster import solver
from tests.backend.peerwork.conftest import MONDAY, Org

# Long enough for a healthy write, far shorter than any solve.
LOCK_WAIT_SECONDS = 0.5


def write_from_another_connection(database_url: str) -> None:
    """A write from outside the app, made while the solver runs; raises if it cannot be."""
    path = sqlite_path(database_url)
    if path is not None:
        with closing(
            sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
        ) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE organisation SET name = name || ' (renamed)'")
            conn.execute("COMMIT")
        return
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
        # On PostgreSQL an open transaction blocks no unrelated write: look for one instead.
        open_elsewhere = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        ).fetchone()
        assert open_elsewhere == (0,), "a transaction is open while the solver runs"
        conn.execute("SET lock_timeout = '500ms'")
        conn.execute("UPDATE organisation SET name = name || ' (renamed)'")


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch, database_url: str) -> list[str]:
    """Each solve first writes from another connection; records what happened."""
    seen: list[str] = []
    solve = solver.solve

    def observed(problem: solver.Problem) -> solver.Solution:
        try:
            write_from_another_connection(database_url)
        except Exception as exc:  # whatever stopped the write is the finding
            seen.append(f"blocked: {exc}")
        else:
            seen.append("wrote")
        return solve(problem)

    monkeypatch.setattr(solver, "solve", observed)
    return seen


class TestGenerateRoster:
    async def test_others_can_write_while_the_solver_runs(
        self, org: Org, solves: list[str]
    ) -> None:
        await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 5, 9, 13))
        roster = await org.roster()
        assert solves == ["wrote"]
        assert [a["role"] for a in roster["assignments"]] == ["peer"]
        async with org.app.state.db.session(write=False) as session:
            organisation = await session.get(Organisation, org.id)
        assert organisation is not None
        assert organisation.name.endswith("(renamed)")


class TestRegenerateRoster:
    async def test_others_can_write_while_the_solver_runs(
        self, org: Org, solves: list[str]
    ) -> None:
        await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 5, 9, 13))
        roster = await org.roster()
        again = await org.call(
            org.coordinator, "POST", f"/api/rosters/{roster['id']}/regenerate", {}
        )
        assert solves == ["wrote", "wrote"]
        assert [a["role"] for a in again["assignments"]] == ["peer"]


class TestGenerateRosterPage:
    async def test_the_page_solves_outside_a_transaction_too(
        self, org: Org, solves: list[str]
    ) -> None:
        await org.worker("Joy")
        await org.shifts(org.shift("drop_in", 5, 9, 13))
        response = await org.client.post(
            f"/coordination/{org.id}/rosters",
            data={"starts_on": MONDAY, "ends_on": "2030-03-10"},
            headers=org.coordinator.auth,
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/rosters/")
        assert solves == ["wrote"]

    async def test_an_overlapping_period_is_refused_on_the_page(self, org: Org) -> None:
        await org.roster()
        response = await org.client.post(
            f"/coordination/{org.id}/rosters",
            data={"starts_on": MONDAY, "ends_on": "2030-03-10"},
            headers=org.coordinator.auth,
        )
        assert response.status_code == 409
        assert "Another roster covers part of this period" in response.text
