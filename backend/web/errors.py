"""Errors on pages answer as pages; errors under /api keep their JSON shape.

The same exceptions (a missing capability, not found, a conflict) come out of the same
dependencies and services; only the answer's form differs.
"""

from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from backend.core.errors import TandemError
from backend.web.render import page, see_other

Handler = Callable[[Request, Exception], Awaitable[Response]]

# Paths that are not pages: their errors stay JSON.
NOT_PAGES = (
    "/api/",
    "/ws",
    "/.well-known/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/assets/",
    "/metrics",
)


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def error_page(request: Request, status_code: int, message: str) -> Response:
    if status_code == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return see_other("/sign-in?next=" + quote(target, safe=""))
    return page(
        request,
        "error.html",
        actor=None,
        title="Something needs attention",
        status_code=status_code,
        message=message,
        status=status_code,
    )


def install_page_errors(app: FastAPI) -> None:
    json_handlers: dict[type[Exception], Handler] = {
        kind: cast(Handler, app.exception_handlers[kind])
        for kind in (TandemError, RequestValidationError, StarletteHTTPException)
    }

    def wrap(kind: type[Exception]) -> None:
        fallback = json_handlers[kind]

        async def handle(request: Request, exc: Exception) -> Response:
            if not is_page(request):
                return await fallback(request, exc)
            if isinstance(exc, TandemError):
                return error_page(request, exc.status_code, exc.message)
            if isinstance(exc, StarletteHTTPException):
                message = "This page does not exist." if exc.status_code == 404 else str(exc.detail)
                return error_page(request, exc.status_code, message)
            return error_page(request, 400, "The address is not valid.")

        app.add_exception_handler(kind, handle)

    for kind in json_handlers:
        wrap(kind)
