"""Errors with an HTTP status, and the one shape every error answer takes.

``{"error": {"code": ..., "message": ..., "fields": {...}}}``: a person reads ``message``,
a program reads ``code``, a form reads ``fields``.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("tandem.errors")


class TandemError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.headers = headers


class InvalidInput(TandemError):
    status_code = 422
    code = "invalid"


class Unauthenticated(TandemError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(TandemError):
    status_code = 403
    code = "forbidden"


class NotFound(TandemError):
    """Also what a caller gets for something that exists but is not hers to know about."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class Conflict(TandemError):
    status_code = 409
    code = "conflict"


class Unavailable(TandemError):
    """Something this action needs is not running; nothing was changed."""

    status_code = 503
    code = "unavailable"


class TooManyAttempts(TandemError):
    status_code = 429
    code = "too_many_attempts"


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_attempts",
    503: "unavailable",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "This field is required."
    if kind == "extra_forbidden":
        return "This field is not accepted here."
    message = str(error.get("msg", "Invalid value."))
    return message.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TandemError)
    async def on_tandem_error(_request: Request, exc: TandemError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.fields),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        for error in errors:
            if error.get("type") == "json_invalid":
                reason = (error.get("ctx") or {}).get("error", "it could not be parsed")
                return JSONResponse(
                    error_body("invalid_json", f"The request body is not valid JSON: {reason}."),
                    status_code=400,
                )
        fields: dict[str, str] = {}
        for error in errors:
            fields.setdefault(_field_name(tuple(error.get("loc", ()))), _validation_message(error))
        return JSONResponse(
            error_body("invalid", "Some fields need attention.", fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "The request was refused."
        if exc.status_code == 404:
            message = "Not found."
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("tandem.request_id", "-")
        log.error("unhandled error in request %s", request_id, exc_info=exc)
        return JSONResponse(
            error_body(
                "internal",
                f"Something went wrong on our side. Nothing was changed. Reference: {request_id}.",
            ),
            status_code=500,
            headers={"X-Request-ID": str(request_id)},
        )
