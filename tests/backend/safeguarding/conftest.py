"""Safeguarding tests build on the membership tests' small community."""

from typing import Any

import httpx

from tests.backend.membership.conftest import Community, community, roots_of, settings
from tests.conftest import Person

__all__ = ["Community", "community", "roots_of", "settings"]


async def report(
    client: httpx.AsyncClient,
    reporter: Person,
    *,
    account: Person | None = None,
    kind: str = "infiltration",
    danger: bool = False,
    description: str = "asked me where I live",
    expect: int = 201,
) -> dict[str, Any]:
    response = await client.post(
        "/api/reports",
        json={
            "kind": kind,
            "target": {"kind": "account", "account_id": str(account.id) if account else None},
            "description": description,
            "immediate_danger": danger,
        },
        headers=reporter.auth,
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def queue(client: httpx.AsyncClient, officer: Person) -> list[dict[str, Any]]:
    response = await client.get("/api/safety/queue", headers=officer.auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items
