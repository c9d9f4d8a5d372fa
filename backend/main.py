"""create_app(): settings, keys, database, middleware, error handlers and routers."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from backend.api import api_router, well_known_router
from backend.core import metrics
from backend.core.config import Settings, get_settings
from backend.core.denials import install_denial_recording
from backend.core.errors import error_body, install_error_handlers
from backend.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from backend.membership import tasks as membership_tasks
from backend.notification import realtime as notification_realtime
from backend.peerwork import tasks as peerwork_tasks
from backend.privacy import tasks as privacy_tasks
from backend.realtime.endpoint import ws_router
from backend.realtime.hub import Hub
from backend.room import realtime as room_realtime
from backend.runtime import build_runtime
from backend.safeguarding import tasks as safeguarding_tasks
from backend.web.app import install_web

log = logging.getLogger("tandem")

# Young collections every 20,000 net allocations instead of 700, the middle generation
# every 5 of them instead of 10. With 5,000 sockets open and the defaults, full collections
# came every 2-3 s and grew to 525 ms with the event loop stopped (measured before room
# messages were written straight to sockets). bench/rooms, same machine, defaults against
# these: a room of 1000 delivered 74k/s against 82k/s, a room of 5000 had p99 285 ms
# against 273 ms, and an idle socket took 35.1 KiB against 34.1 (docs/benchmarks-rooms.md).
GC_THRESHOLDS = (20_000, 5, 10)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application. Raises KeyFileError when the key file cannot be used."""
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    database = runtime.db
    hub = Hub(settings, database, runtime.broker)
    room_realtime.install(hub)
    notification_realtime.install(hub)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        background: list[asyncio.Task[None]] = []
        if settings.run_scheduled_tasks:
            every = settings.scheduled_every_seconds
            background = [
                asyncio.create_task(
                    membership_tasks.run_forever(database, runtime.card_signer, every)
                ),
                asyncio.create_task(safeguarding_tasks.run_forever(database, every)),
                asyncio.create_task(peerwork_tasks.run_forever(database, every)),
                asyncio.create_task(privacy_tasks.run_forever(database, every)),
            ]
        # Everything built so far (modules, routes, models) lives as long as the process:
        # freezing it keeps full garbage collections from walking it again and again,
        # which stopped the event loop for 100-200 ms with many sockets open. Not in tests:
        # they build many apps in one process, and frozen garbage is never collected.
        if settings.environment != "test":
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
        yield
        for task in background:
            task.cancel()
        await hub.ensure_started()
        await hub.stop()
        await runtime.close()

    app = FastAPI(
        title=settings.community_name,
        description="The HTTP API of this community. Every JSON route lives under /api.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=[
            {"name": "auth", "description": "Registration, sign-in, sessions, recovery."},
            {"name": "accounts", "description": "The signed-in account and role grants."},
            {"name": "organisations", "description": "Partner organisations."},
            {"name": "identity", "description": "The sealed identity vault and unsealing."},
            {"name": "audit", "description": "The hash-chained audit log."},
            {"name": "safety", "description": "Blocks, reports and restrictions."},
            {
                "name": "data rights",
                "description": "Export your data, erase your account, message retention.",
            },
            {
                "name": "membership",
                "description": "Referrals, agreements, applications, votes, cards.",
            },
            {"name": "mentoring", "description": "Mentor profiles and mentorships."},
            {"name": "rooms", "description": "Rooms, messages, group sessions; /ws is live."},
            {
                "name": "notifications",
                "description": "Her feed, read marks, preferences, optional Web Push.",
            },
            {
                "name": "peer work",
                "description": "Paid peer work: onboarding, contracts, trainings, shifts, "
                "rosters, swaps, timesheets, pay and grant reports, debriefs.",
            },
            {
                "name": "staff sign-in",
                "description": "Organisation staff sign in through their OpenID Connect provider.",
            },
            {"name": "health", "description": "Liveness and readiness."},
        ],
    )
    app.state.settings = settings
    app.state.db = database
    app.state.runtime = runtime
    app.state.keys = runtime.keys
    app.state.vault = runtime.vault
    app.state.auth = runtime.auth
    app.state.card_signer = runtime.card_signer
    app.state.session_lookup = runtime.session_lookup
    app.state.hub = hub
    app.state.rate_limiter = runtime.rate_limiter
    app.state.max_json_depth = settings.max_json_depth

    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RequestContextMiddleware,
        log_requests=settings.log_requests,
        log_client_address=settings.log_client_address,
        record_metrics=settings.metrics_enabled,
    )
    app.include_router(api_router)
    app.include_router(well_known_router)
    app.include_router(ws_router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], response_model=None)
    async def readyz(request: Request) -> JSONResponse | dict[str, str]:
        """The database and the broker answer."""
        try:
            await request.app.state.db.ping()
        except Exception:  # any failure means "not ready"; the reason goes to the log
            log.exception("readiness check failed")
            return JSONResponse(
                error_body("not_ready", "The database does not answer."), status_code=503
            )
        # The in-process broker always answers; Redis, when configured, is asked.
        broker_up = await request.app.state.runtime.broker.ping()
        metrics.BROKER_UP.set(1.0 if broker_up else 0.0)
        if not broker_up:
            log.warning("readiness check failed: the broker does not answer")
            return JSONResponse(
                error_body("not_ready", "The message broker does not answer."), status_code=503
            )
        return {"status": "ready", "database": "ok", "broker": "ok"}

    if settings.metrics_enabled:
        metrics.WS_CONNECTIONS.set_function(lambda: len(hub.all_connections()))
        metrics.WS_ROOMS.set_function(lambda: len(hub.topics))
        metrics.BROKER_DROPPED.set_function(lambda: getattr(runtime.broker, "dropped", 0))

        @app.get("/metrics", include_in_schema=False)
        async def prometheus_metrics() -> Response:
            return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)

    install_web(app)
    install_denial_recording(app)
    return app
