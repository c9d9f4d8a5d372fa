import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.core.config import Settings
from tests.backend.sso.oidc_provider import RunningProvider, TestProvider
from tests.backend.sso.real_provider import CLIENT_ID, CLIENT_SECRET, NodeProvider
from tests.conftest import Person, make_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Both test providers serve plain http on 127.0.0.1: the development setting allows it.
    return make_settings(tmp_path, database_url, sso_allow_http_loopback=True)


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[NodeProvider]:
    """panva's oidc-provider with its default settings, shared by a module's tests."""
    with NodeProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def running_provider() -> Iterator[TestProvider]:
    with RunningProvider(TestProvider()) as provider:
        yield provider


@pytest.fixture
def provider(running_provider: TestProvider) -> TestProvider:
    running_provider.reset()
    return running_provider


async def new_organisation(client: httpx.AsyncClient, admin: Person, name: str) -> uuid.UUID:
    response = await client.post(
        "/api/organisations", json={"name": name, "kind": "employer"}, headers=admin.auth
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


@pytest.fixture
async def organisation(client: httpx.AsyncClient, admin: Person) -> uuid.UUID:
    return await new_organisation(client, admin, "Partner Outreach")


def sso_body(issuer: str, client_id: str, client_secret: str | None, **changes: Any) -> Any:
    body: dict[str, Any] = {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": client_secret,
        "allowed_domain": "partner.example",
        "roles": ["professional"],
        **changes,
    }
    return {key: value for key, value in body.items() if value is not None}


async def configure(
    client: httpx.AsyncClient, admin: Person, organisation_id: uuid.UUID, issuer: str
) -> None:
    response = await client.put(
        f"/api/organisations/{organisation_id}/sso",
        json=sso_body(issuer, CLIENT_ID, CLIENT_SECRET),
        headers=admin.auth,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def with_oidc_provider(
    client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID, oidc_provider: NodeProvider
) -> uuid.UUID:
    """The organisation, signing its staff in through the shared oidc-provider."""
    await configure(client, admin, organisation, oidc_provider.issuer)
    return organisation


@pytest.fixture
async def configured(
    client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID, provider: TestProvider
) -> uuid.UUID:
    """The organisation, signing its staff in through the hand-written provider."""
    response = await client.put(
        f"/api/organisations/{organisation}/sso",
        json=sso_body(provider.issuer, provider.client_id, provider.client_secret),
        headers=admin.auth,
    )
    assert response.status_code == 200, response.text
    return organisation
