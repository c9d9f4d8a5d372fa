"""Puts the web client on the application: catalogs, page routes, static assets, errors."""

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from backend.web import admin, membership, notices, peerwork, rooms, safety
from backend.web.endpoints import router
from backend.web.errors import install_page_errors
from backend.web.i18n import compile_all

ASSETS_DIR = Path(__file__).resolve().parents[2] / "frontend" / "assets"


class Assets(StaticFiles):
    """Scripts, styles and the icon: nothing personal, so a browser may keep them a day."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def install_web(app: FastAPI) -> None:
    compile_all()
    app.mount("/assets", Assets(directory=ASSETS_DIR), name="assets")
    app.include_router(router)
    app.include_router(rooms.router)
    app.include_router(membership.router)
    app.include_router(peerwork.router)
    app.include_router(safety.router)
    app.include_router(notices.router)
    app.include_router(admin.router)
    install_page_errors(app)
