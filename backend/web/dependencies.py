"""What page routes need besides the API's own dependencies: an optional reader and forms."""

from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request

from backend.auth.dependencies import Actor, get_actor, get_auth_services
from backend.core.errors import Forbidden, Unauthenticated


async def get_optional_actor(request: Request) -> Actor | None:
    """The signed-in person on pages anyone may open (sign-in, card verification)."""
    try:
        return await get_actor(request, await get_auth_services(request))
    except Unauthenticated:
        return None


OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]


class Form:
    """A submitted form (application/x-www-form-urlencoded), every field a string."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.pairs:
            if key == name:
                return value
        return default

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def text(self, name: str) -> str:
        return self.get(name).strip()


async def read_form(request: Request) -> Form:
    """Forms come from our own pages only.

    The session cookie is SameSite=Strict already; checking Origin as well refuses a
    cross-site form even from an old browser that ignores SameSite.
    """
    origin = request.headers.get("origin")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin.rstrip("/") != own and urlsplit(origin).netloc != request.headers.get("host"):
            raise Forbidden("This form was sent from another site.", code="foreign_origin")
    body = (await request.body()).decode("utf-8", errors="replace")
    return Form(parse_qsl(body, keep_blank_values=True))


FormData = Annotated[Form, Depends(read_form)]
