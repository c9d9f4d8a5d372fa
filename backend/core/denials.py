"""Refused attempts at privileged actions, and how each reaches the audit log.

A refusal raises inside the request, whose transaction then rolls back: an entry written
in it would vanish with it, and a second write transaction opened beside it would wait on
its lock (SQLite has one writer). So the refusal carries who tried what, and the places
that answer it hand it on once the request's transaction has ended: the error handlers
(installed below, they run after the request's session closed) and the one form path
(``web/forms.py:submit``, after its rollback). The recorder is provided per database by
the runtime (the safeguarding domain counts repeated refusals; core cannot know it).
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from fastapi import FastAPI, Request
from starlette.responses import Response

from backend.core.context import RuntimeContext, Slot
from backend.core.errors import Forbidden, TandemError

log = logging.getLogger("tandem.denials")


class PrivilegedActionDenied(Forbidden):
    """A refusal of a privileged action: audit-logged with who tried and what.

    ``attempted`` names the action or capability (``identity:unseal``,
    ``identity.unseal_approve``); ``where`` the route, when the refusal knows it.
    """

    def __init__(
        self,
        message: str,
        *,
        actor_id: uuid.UUID,
        attempted: str,
        where: str = "",
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.actor_id = actor_id
        self.attempted = attempted
        self.where = where
        self.recorded = False


Recorder = Callable[[PrivilegedActionDenied], Awaitable[None]]
RECORDER: Slot[Recorder] = Slot("denied attempts recorder")


async def record_refusal(context: RuntimeContext, refusal: TandemError) -> None:
    """Record ``refusal`` if it is a privileged one, once. Call it only outside any write
    transaction of the caller's: the recorder opens its own.

    A failure to record is logged and the refusal still answers as a refusal: a broken log
    must not turn a 403 into a 500.
    """
    if not isinstance(refusal, PrivilegedActionDenied) or refusal.recorded:
        return
    refusal.recorded = True
    recorder = context.get(RECORDER)
    if recorder is None:
        log.warning("a refused privileged attempt was not recorded: no recorder is provided")
        return
    try:
        await recorder(refusal)
    except Exception:  # the refusal stands; the reason goes to the log
        log.exception("a refused privileged attempt could not be recorded")


def install_denial_recording(app: FastAPI) -> None:
    """Record privileged refusals that reach the error handlers, then answer as before
    (JSON or a page). Call after every other error handler is installed."""
    answer = cast(
        Callable[[Request, Exception], Awaitable[Response]], app.exception_handlers[TandemError]
    )

    async def on_denied(request: Request, exc: Exception) -> Response:
        if isinstance(exc, TandemError):
            await record_refusal(request.app.state.db.context, exc)
        return await answer(request, exc)

    handler: Any = on_denied
    app.add_exception_handler(PrivilegedActionDenied, handler)
