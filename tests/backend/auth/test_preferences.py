"""A person chooses the language and time zone Tandem uses with her."""

import httpx

from tests.conftest import Person


async def test_language_and_time_zone_change_and_stay(
    client: httpx.AsyncClient, newcomer: Person
) -> None:
    before = (await client.get("/api/me", headers=newcomer.auth)).json()
    assert (before["language"], before["time_zone"]) == ("en", "UTC")

    changed = await client.patch(
        "/api/me", json={"language": "ro", "time_zone": "Europe/Bucharest"}, headers=newcomer.auth
    )
    assert changed.status_code == 200
    assert (changed.json()["language"], changed.json()["time_zone"]) == ("ro", "Europe/Bucharest")

    only_zone = await client.patch(
        "/api/me", json={"time_zone": "Europe/Rome"}, headers=newcomer.auth
    )
    assert (only_zone.json()["language"], only_zone.json()["time_zone"]) == ("ro", "Europe/Rome")
    after = (await client.get("/api/me", headers=newcomer.auth)).json()
    assert (after["language"], after["time_zone"]) == ("ro", "Europe/Rome")


async def test_unknown_zone_or_language_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, newcomer: Person
) -> None:
    bad_zone = await client.patch(
        "/api/me", json={"language": "fr", "time_zone": "Mars/Olympus"}, headers=newcomer.auth
    )
    assert bad_zone.status_code == 422
    assert "time zone" in bad_zone.text
    bad_language = await client.patch("/api/me", json={"language": "xx"}, headers=newcomer.auth)
    assert bad_language.status_code == 422
    me = (await client.get("/api/me", headers=newcomer.auth)).json()
    assert (me["language"], me["time_zone"]) == ("en", "UTC")


async def test_preferences_need_a_session(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/me", json={"language": "fr"})
    assert response.status_code == 401
