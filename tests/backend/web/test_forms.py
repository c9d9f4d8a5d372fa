"""The one path of page forms (backend/web/forms.py:submit): a refused form leaves the
database as it was and shows its page again with the messages and what she typed."""

from functools import partial
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.responses import Response

from backend.core.errors import Conflict, InvalidInput
from backend.organisation import service as organisation_service
from backend.organisation.models import OrganisationKind
from backend.web.forms import submit
from tests.conftest import Person


class TestSubmit:
    async def test_a_refusal_undoes_the_write_and_shows_the_page_again(
        self, app: FastAPI, admin: Person
    ) -> None:
        shown: dict[str, Any] = {}

        async def form_page(**context: Any) -> Response:
            shown.update(context)
            return Response(status_code=context["status_code"])

        async with app.state.db.session() as session:

            async def create() -> Response:
                await organisation_service.create_organisation(
                    session, actor_id=admin.id, name="Harbour", kind=OrganisationKind.EMPLOYER
                )
                raise InvalidInput("Some fields need attention.", fields={"kind": "Not this."})

            answer = await submit(session, create, partial(form_page, values={"name": "Harbour"}))

        assert answer.status_code == 422
        assert shown == {
            "status_code": 422,
            "error": "Some fields need attention.",
            "fields": {"kind": "Not this."},
            "values": {"name": "Harbour"},
        }
        async with app.state.db.session(write=False) as session:
            assert await organisation_service.list_organisations(session) == []

    async def test_what_it_does_not_refuse_goes_on_to_the_error_pages(self, app: FastAPI) -> None:
        async def conflict() -> Response:
            raise Conflict("Taken.")

        async def form_page(**_context: Any) -> Response:
            raise AssertionError("not shown for an error it does not refuse")

        async with app.state.db.session() as session:
            with pytest.raises(Conflict):
                await submit(session, conflict, form_page, refused=(InvalidInput,))
