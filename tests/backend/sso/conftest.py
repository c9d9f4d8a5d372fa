import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.backend.sso.oidc_provider import RunningProvider, TestProvider
from tests.conftest import Person


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


@pytest.fixture
async def configured(
    client: httpx.AsyncClient, admin: Person, organisation: uuid.UUID, provider: TestProvider
) -> uuid.UUID:
    response = await client.put(
        f"/api/organisations/{organisation}/sso",
        json={
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "allowed_domain": "partner.example",
            "roles": ["professional"],
        },
        headers=admin.auth,
    )
    assert response.status_code == 200, response.text
    return organisation
