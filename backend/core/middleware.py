"""Pure ASGI middleware: request ids, a body size limit, and headers every answer carries."""

import itertools
import json
import logging
import re
import secrets
import time

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import metrics
from backend.core.logs import request_id_var

access_log = logging.getLogger("tandem.access")

# Request ids only need to be unique in the logs: a random tag per process and a counter
# (a random id per request cost a system call on the hottest path).
_PROCESS_TAG = secrets.token_hex(3) + "-"
_request_numbers = itertools.count(1)
# An id handed over by the proxy in front (nginx's $request_id) is kept, so one request
# can be followed through both logs; anything else it sends is replaced.
_INCOMING_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")

# The server's own ASGI ``send`` for a WebSocket, kept in the scope: a room's fan-out
# sends each message to a thousand sockets, and the layers between here and the endpoint
# pass data frames through unchanged (backend/realtime/connection.py).
SERVER_SEND_KEY = "tandem.server_send"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]


class RequestContextMiddleware:
    """Give each request an id (in every log line, echoed as X-Request-ID) and safe headers;
    log one access line and count it in the metrics when those are on."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log_requests: bool = False,
        log_client_address: bool = False,
        record_metrics: bool = False,
    ) -> None:
        self.app = app
        self.log_requests = log_requests
        self.log_client_address = log_client_address
        self.record_metrics = record_metrics

    def _request_id(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                if _INCOMING_ID.fullmatch(value):
                    return bytes(value).decode()
                break
        return f"{_PROCESS_TAG}{next(_request_numbers):x}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        scope["tandem.request_id"] = request_id
        token = request_id_var.set(request_id)
        try:
            if kind == "websocket":
                await self._websocket(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SERVER_SEND_KEY] = send

        async def counting_send(message: Message) -> None:
            if message["type"] == "websocket.accept":
                metrics.WS_CONNECTIONS_OPENED.inc()
            await send(message)

        await self.app(scope, receive, counting_send if self.record_metrics else send)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if self.log_requests or self.record_metrics:
                self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        template = route_template(scope)
        method = scope.get("method", "")
        if self.record_metrics:
            metrics.HTTP_REQUESTS.inc(1, method, template, str(status))
            metrics.HTTP_LATENCY.observe(elapsed, method, template)
        if self.log_requests and access_log.isEnabledFor(logging.INFO):
            extra: dict[str, object] = {
                "method": method,
                "route": template,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            }
            if self.log_client_address and scope.get("client"):
                extra["client"] = scope["client"][0]
            access_log.info("request", extra=extra)


def route_template(scope: Scope) -> str:
    """``/api/rooms/{room_id}/messages``, never the raw path: paths carry ids.

    A route of an included router knows its path without the router's prefix; the prefix
    is the static part of the raw path before the part the route's pattern matches.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    regex = getattr(route, "path_regex", None)
    if not path or regex is None:
        return "unmatched"
    raw: str = scope.get("path", "")
    if regex.match(raw):
        return str(path)
    for index, char in enumerate(raw):
        if char == "/" and index > 0 and regex.match(raw[index:]):
            return raw[:index] + str(path)
    return str(path)


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "body_too_large",
                    "message": f"The request body is larger than {self.max_bytes} bytes.",
                    "fields": {},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = self.max_bytes + 1
                if announced > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._refuse(send)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in; FastAPI passes HTTP exceptions through untouched."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")
