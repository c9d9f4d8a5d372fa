"""Bad input gets a 4xx a person understands, in one shape, and never a 500."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import PASSWORD, Person

LOGIN = "/api/auth/login"
JSON = {"content-type": "application/json"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


class TestMalformedBodies:
    async def test_not_json(self, client: httpx.AsyncClient) -> None:
        response = await client.post(LOGIN, content=b'{"pseudonym": "Lina",', headers=JSON)
        assert_error(response, 400, "invalid_json")

    async def test_not_utf8(self, client: httpx.AsyncClient) -> None:
        response = await client.post(LOGIN, content=b'{"pseudonym": "\xff\xfe"}', headers=JSON)
        assert_error(response, 400, "invalid_json")

    async def test_wrong_types_name_each_field(self, client: httpx.AsyncClient) -> None:
        response = await client.post(LOGIN, json={"pseudonym": 12, "password": ["x"]})
        error = assert_error(response, 422, "invalid")
        assert set(error["fields"]) == {"pseudonym", "password"}  # type: ignore[arg-type]

    async def test_missing_field(self, client: httpx.AsyncClient) -> None:
        response = await client.post(LOGIN, json={"pseudonym": "Lina"})
        error = assert_error(response, 422, "invalid")
        assert error["fields"] == {"password": "This field is required."}

    async def test_body_that_is_not_an_object(self, client: httpx.AsyncClient) -> None:
        response = await client.post(LOGIN, json=[1, 2, 3])
        assert_error(response, 422, "invalid")

    async def test_oversized_body_announced(self, client: httpx.AsyncClient) -> None:
        big = b'{"pseudonym": "' + b"a" * (1024 * 1024 + 10) + b'"}'
        response = await client.post(LOGIN, content=big, headers=JSON)
        assert_error(response, 413, "body_too_large")

    async def test_oversized_body_streamed_without_length(self, client: httpx.AsyncClient) -> None:
        async def chunks():  # type: ignore[no-untyped-def]
            yield b'{"pseudonym": "'
            for _ in range(20):
                yield b"a" * 65536

        response = await client.post(LOGIN, content=chunks(), headers=JSON)
        assert_error(response, 413, "body_too_large")

    @pytest.mark.parametrize("opening", ["[", '{"a":'])
    async def test_nested_1000_deep(self, client: httpx.AsyncClient, opening: str) -> None:
        closing = "]" if opening == "[" else "}"
        body = opening * 1000 + "1" + closing * 1000
        response = await client.post(LOGIN, content=body.encode(), headers=JSON)
        error = assert_error(response, 400, "invalid_json")
        assert "nested" in str(error["message"])

    async def test_brackets_inside_a_string_are_not_nesting(
        self, client: httpx.AsyncClient
    ) -> None:
        body = '{"pseudonym": "' + "[{" * 75 + '\\"", "password": "x"}'
        response = await client.post(LOGIN, content=body.encode(), headers=JSON)
        assert response.status_code == 401

    async def test_duplicate_keys_refused(
        self, client: httpx.AsyncClient, admin: Person, newcomer: Person
    ) -> None:
        body = b'{"role": "member", "role": "admin"}'
        response = await client.post(
            f"/api/accounts/{newcomer.id}/roles",
            content=body,
            headers={**JSON, **admin.auth},
        )
        error = assert_error(response, 400, "invalid_json")
        assert "role" in str(error["message"])
        me = (await client.get("/api/me", headers=newcomer.auth)).json()
        assert me["roles"] == []

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
    async def test_nan_and_infinity_refused(self, client: httpx.AsyncClient, constant: str) -> None:
        body = f'{{"pseudonym": "Lina", "password": {constant}}}'.encode()
        response = await client.post(LOGIN, content=body, headers=JSON)
        assert_error(response, 400, "invalid_json")

    async def test_unknown_route_is_enveloped_404(self, client: httpx.AsyncClient) -> None:
        assert_error(await client.get("/api/nothing-here"), 404, "not_found")

    async def test_bad_path_parameter_is_422(
        self, client: httpx.AsyncClient, admin: Person
    ) -> None:
        response = await client.get("/api/accounts/not-a-uuid/roles", headers=admin.auth)
        error = assert_error(response, 422, "invalid")
        assert "account_id" in error["fields"]  # type: ignore[operator]


class TestUnexpectedErrors:
    async def test_500_has_a_reference_and_no_internals(self, app: FastAPI) -> None:
        @app.get("/api/test-crash")
        async def crash() -> None:
            raise RuntimeError("secret internal detail")

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            response = await client.get("/api/test-crash")
        error = assert_error(response, 500, "internal")
        assert "secret internal detail" not in response.text
        assert "RuntimeError" not in response.text
        assert response.headers["x-request-id"] in str(error["message"])


class TestDocsAndHealth:
    async def test_openapi_has_a_tag_per_domain(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        tags = {
            tag for path in spec["paths"].values() for op in path.values() for tag in op["tags"]
        }
        assert {"auth", "accounts", "organisations", "identity", "audit", "health"} <= tags
        assert all(
            p.startswith("/api/") or p in ("/healthz", "/readyz", "/.well-known/jwks.json")
            for p in spec["paths"]
        )

    async def test_docs_page(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/docs")
        assert response.status_code == 200
        assert "swagger" in response.text.lower()

    async def test_health_and_readiness(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {
            "status": "ready",
            "database": "ok",
            "broker": "ok",
        }

    async def test_readiness_fails_when_the_database_is_gone(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        async def unreachable() -> None:
            raise ConnectionRefusedError("connection refused")

        app.state.db.ping = unreachable  # type: ignore[method-assign]
        response = await client.get("/readyz")
        assert_error(response, 503, "not_ready")

    async def test_every_answer_carries_safety_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.post(LOGIN, json={"pseudonym": "Lina", "password": PASSWORD})
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
