"""Forms meet the API's own input models: the same checks, shown next to the field.

Every page form takes one path (``submit``): parse and call inside an action that answers
with a redirect; a refusal undoes the action's writes and shows the form's page again with
the messages in place and what she typed kept.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from backend.core.context import context_of
from backend.core.denials import record_refusal
from backend.core.errors import InvalidInput, TandemError

Model = TypeVar("Model", bound=BaseModel)
Shown = Callable[[TandemError], dict[str, Any]]


def _message(error: Any) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    return str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")


def validated(model: type[Model], **values: Any) -> Model:
    """The input model, or InvalidInput with one message per field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(p) for p in error.get("loc", ())) or "form"
            fields.setdefault(name.split(".")[0], _message(error))
        raise InvalidInput("Some fields need attention.", fields=fields) from exc


def chosen(value: str, message: str) -> uuid.UUID:
    """The id of someone or something picked from a list on the page, or InvalidInput."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(message) from exc


def fields_in_place(refusal: TandemError) -> dict[str, Any]:
    """The message at the top, each field's own message next to its field."""
    return {"status_code": refusal.status_code, "error": refusal.message, "fields": refusal.fields}


def message_only(refusal: TandemError) -> dict[str, Any]:
    """The message alone: pages with several forms, where a field's message would not say
    which form it belongs to."""
    return {"status_code": refusal.status_code, "error": refusal.message}


def field_first(name: str, *, keep: tuple[str, ...] = ()) -> Shown:
    """Field ``name``'s message at the top in place of the general one (the form has that one
    field that matters); the fields in ``keep`` keep theirs next to them."""

    def shown(refusal: TandemError) -> dict[str, Any]:
        return {
            "status_code": refusal.status_code,
            "error": refusal.fields.get(name, refusal.message),
            "fields": {k: v for k, v in refusal.fields.items() if k in keep},
        }

    return shown


async def submit(
    session: AsyncSession,
    action: Callable[[], Awaitable[Response]],
    form_page: Callable[..., Response | Awaitable[Response]],
    *,
    shown: Shown = fields_in_place,
    refused: tuple[type[TandemError], ...] = (TandemError,),
) -> Response:
    """``action()``'s answer; if it raises one of ``refused``, ``form_page(**shown(error))``.

    The request's transaction is rolled back before the page is read again: a refused form
    leaves the database as it was, and the page shows it so. ``form_page`` carries what the
    page needs besides the refusal, the values she typed included (``functools.partial``).
    Errors not in ``refused`` go on to the error pages, the transaction rolled back there.
    """
    try:
        return await action()
    except refused as refusal:
        await session.rollback()
        # Only now, with the request's transaction over, may a refused privileged attempt
        # be written down (in a transaction of its own).
        await record_refusal(context_of(session), refusal)
        answer = form_page(**shown(refusal))
        return answer if isinstance(answer, Response) else await answer


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
