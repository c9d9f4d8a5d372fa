"""Forms meet the API's own input models: the same checks, shown next to the field."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from backend.core.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)


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


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
