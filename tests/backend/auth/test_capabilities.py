"""Every protected route, every role: allowed ones get through, the others get 403."""

import uuid

import httpx
import pytest
from fastapi import FastAPI

from backend.auth.capabilities import ORGANISATION_ROLES, Role
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from tests.conftest import Person, grant, register

NEWCOMER = "newcomer"
EVERYONE = [NEWCOMER, *(role.value for role in Role)]

# Written out by hand on purpose: a change to the role map must show up here.
ROUTES: list[tuple[str, str, dict[str, object] | None, set[str]]] = [
    (
        "GET",
        "/api/organisations",
        None,
        {"member", "active_member", "coordinator", "professional", "payroll", "admin"},
    ),
    ("POST", "/api/organisations", {"name": "New Place", "kind": "employer"}, {"admin"}),
    ("GET", "/api/accounts/lookup?pseudonym=Target", None, {"admin"}),
    ("POST", "/api/accounts/{target}/roles", {"role": "member"}, {"admin"}),
    ("GET", "/api/audit", None, {"admin", "safeguarding"}),
    ("GET", "/api/audit/verify", None, {"admin", "safeguarding"}),
    ("GET", "/api/identity/unseal-requests", None, {"safeguarding"}),
    (
        "POST",
        "/api/identity/unseal-requests",
        {"account_id": "{target}", "reason": "Police asked to confirm identity, case 12."},
        {"safeguarding"},
    ),
]


async def person_in_role(app: FastAPI, client: httpx.AsyncClient, role_name: str) -> Person:
    person = await register(client, f"Person {role_name.replace('_', ' ')}")
    if role_name == NEWCOMER:
        return person
    role = Role(role_name)
    organisation_id: uuid.UUID | None = None
    if role in ORGANISATION_ROLES:
        async with app.state.db.session() as session:
            organisation = await organisation_service.create_organisation(
                session, actor_id=person.id, name=f"Org {role_name}", kind=OrganisationKind.BOTH
            )
            organisation_id = organisation.id
    await grant(app, person, role, organisation_id)
    return person


def _fill(value: object, target: uuid.UUID) -> object:
    if isinstance(value, str):
        return value.replace("{target}", str(target))
    if isinstance(value, dict):
        return {k: _fill(v, target) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role_name", EVERYONE)
async def test_each_route_admits_exactly_its_roles(
    app: FastAPI, client: httpx.AsyncClient, role_name: str
) -> None:
    target = await register(client, "Target")
    async with app.state.db.session() as session:
        from backend.identity import service as identity_service

        await identity_service.seal_identity(
            session, app.state.vault, account_id=target.id, fields={"legal_name": "T"}
        )
    person = await person_in_role(app, client, role_name)
    for method, path, body, allowed in ROUTES:
        response = await client.request(
            method,
            str(_fill(path, target.id)),
            json=_fill(body, target.id) if body is not None else None,
            headers=person.auth,
        )
        if role_name in allowed:
            assert response.status_code < 400, (method, path, role_name, response.text)
        else:
            assert response.status_code == 403, (method, path, role_name, response.text)
            assert response.json()["error"]["code"] == "missing_capability"


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES)
async def test_signed_out_gets_401(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, object] | None,
    allowed: set[str],
) -> None:
    response = await client.request(method, _fill(path, uuid.uuid4()), json=body)  # type: ignore[arg-type]
    assert response.status_code == 401


async def test_organisation_scoped_role_applies_to_that_organisation_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from backend.auth import service as auth_service
    from backend.auth.capabilities import Capability

    coordinator = await register(client, "Claire")
    async with app.state.db.session() as session:
        harbour = await organisation_service.create_organisation(
            session, actor_id=coordinator.id, name="Harbour", kind=OrganisationKind.EMPLOYER
        )
        other = await organisation_service.create_organisation(
            session, actor_id=coordinator.id, name="Other", kind=OrganisationKind.EMPLOYER
        )
    await grant(app, coordinator, Role.COORDINATOR, harbour.id)
    async with app.state.db.session() as session:
        grants = await auth_service.load_grants(session, coordinator.id)
    assert grants.can(Capability.PEERWORK_SCHEDULE, harbour.id)
    assert not grants.can(Capability.PEERWORK_SCHEDULE, other.id)


async def test_admin_grants_and_revokes_roles_with_audit(
    client: httpx.AsyncClient, admin: Person, newcomer: Person
) -> None:
    granted = await client.post(
        f"/api/accounts/{newcomer.id}/roles", json={"role": "member"}, headers=admin.auth
    )
    assert granted.status_code == 201
    me = (await client.get("/api/me", headers=newcomer.auth)).json()
    assert [r["role"] for r in me["roles"]] == ["member"]
    assert "rooms:participate" in me["capabilities"]
    revoked = await client.delete(
        f"/api/accounts/{newcomer.id}/roles/{granted.json()['id']}", headers=admin.auth
    )
    assert revoked.status_code == 204
    me = (await client.get("/api/me", headers=newcomer.auth)).json()
    assert me["roles"] == []
    assert me["capabilities"] == ["account:self", "reports:file"]
    actions = [e["action"] for e in (await client.get("/api/audit", headers=admin.auth)).json()]
    assert actions[:2] == ["role.revoked", "role.granted"]


async def test_organisation_role_needs_an_existing_organisation(
    client: httpx.AsyncClient, admin: Person, newcomer: Person
) -> None:
    missing = await client.post(
        f"/api/accounts/{newcomer.id}/roles", json={"role": "coordinator"}, headers=admin.auth
    )
    assert missing.status_code == 422
    assert "organisation_id" in missing.json()["error"]["fields"]
    unknown = await client.post(
        f"/api/accounts/{newcomer.id}/roles",
        json={"role": "coordinator", "organisation_id": str(uuid.uuid4())},
        headers=admin.auth,
    )
    assert unknown.status_code == 404
    me = (await client.get("/api/me", headers=newcomer.auth)).json()
    assert me["roles"] == []


async def test_admin_alone_cannot_unseal(
    client: httpx.AsyncClient, admin: Person, member: Person
) -> None:
    response = await client.get("/api/identity/unseal-requests", headers=admin.auth)
    assert response.status_code == 403
