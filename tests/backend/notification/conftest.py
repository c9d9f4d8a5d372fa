"""Notifications are tested where they come from: the membership community builder, the
rooms' live server, and the feed read back over HTTP as each person would."""

from typing import Any

import httpx

from tests.backend.membership.conftest import community, settings
from tests.conftest import Person

__all__ = ["community", "feed", "kinds_of", "settings"]


async def feed(client: httpx.AsyncClient, person: Person, **query: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/notifications", params={"limit": 100, **query}, headers=person.auth
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def kinds_of(client: httpx.AsyncClient, person: Person) -> list[str]:
    """Her feed's kinds, oldest first."""
    return [item["kind"] for item in reversed((await feed(client, person))["items"])]
