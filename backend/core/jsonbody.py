"""A stricter JSON reader for request bodies.

Python's ``json`` accepts NaN and Infinity, keeps the last of duplicate keys (so
``{"role": "member", "role": "admin"}`` reads as admin) and recurses until it raises
RecursionError. Every route reads bodies through this instead.
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class StrictJSONError(json.JSONDecodeError):
    pass


def _nesting_depth_exceeds(body: bytes, limit: int) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f'the key "{key}" appears more than once')
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_strict_json(body: bytes, *, max_depth: int) -> Any:
    text = body.decode("utf-8", errors="strict") if body else ""
    if _nesting_depth_exceeds(body, max_depth):
        raise StrictJSONError(f"it is nested deeper than {max_depth} levels", text, 0)
    try:
        return json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise StrictJSONError(str(exc), text, 0) from exc


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            max_depth = getattr(self.app.state, "max_json_depth", 32)
            try:
                self._json = parse_strict_json(body, max_depth=max_depth)
            except UnicodeDecodeError as exc:
                raise StrictJSONError("it is not UTF-8", "", 0) from exc
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
