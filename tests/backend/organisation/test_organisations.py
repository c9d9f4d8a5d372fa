import httpx

from tests.conftest import Person


class TestOrganisations:
    async def test_admin_creates_and_members_read(
        self, client: httpx.AsyncClient, admin: Person, member: Person
    ) -> None:
        created = await client.post(
            "/api/organisations",
            json={"name": "  Harbour   Outreach ", "kind": "both"},
            headers=admin.auth,
        )
        assert created.status_code == 201
        assert created.json()["name"] == "Harbour Outreach"
        listed = (await client.get("/api/organisations", headers=member.auth)).json()
        assert [(o["name"], o["kind"]) for o in listed] == [("Harbour Outreach", "both")]

    async def test_names_are_unique_whatever_the_case(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        await client.post(
            "/api/organisations", json={"name": "Open Door", "kind": "employer"}, headers=admin.auth
        )
        again = await client.post(
            "/api/organisations",
            json={"name": "open door", "kind": "referring_charity"},
            headers=admin.auth,
        )
        assert again.status_code == 409
        assert again.json()["error"]["fields"] == {"name": "This name is taken."}

    async def test_unknown_kind_is_a_field_error(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        response = await client.post(
            "/api/organisations", json={"name": "Open Door", "kind": "bank"}, headers=admin.auth
        )
        assert response.status_code == 422
        assert "kind" in response.json()["error"]["fields"]

    async def test_archived_are_hidden_unless_asked_and_changes_are_audited(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        organisation = (
            await client.post(
                "/api/organisations",
                json={"name": "Old Place", "kind": "employer"},
                headers=admin.auth,
            )
        ).json()
        patched = await client.patch(
            f"/api/organisations/{organisation['id']}", json={"archived": True}, headers=admin.auth
        )
        assert patched.json()["archived"] is True
        assert (await client.get("/api/organisations", headers=admin.auth)).json() == []
        everything = (
            await client.get("/api/organisations?include_archived=true", headers=admin.auth)
        ).json()
        assert [o["name"] for o in everything] == ["Old Place"]
        actions = [e["action"] for e in (await client.get("/api/audit", headers=admin.auth)).json()]
        assert actions[:2] == ["organisation.updated", "organisation.created"]
