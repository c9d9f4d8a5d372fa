from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.core.db import Database

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are all `async def`: FastAPI runs plain `def` dependencies in a worker
# thread, a hop that cost more than the database query on the hottest route.


def database_of(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_database(request: Request) -> Database:
    return database_of(request)


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: committed before the answer is sent, rolled back on error."""
    database = database_of(request)
    async with database.session(write=request.method not in READ_METHODS) as session:
        yield session


async def get_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For the few reads that may write (closing a vote whose deadline passed)."""
    async with database_of(request).session(write=True) as session:
        yield session


async def client_key(request: Request) -> str:
    """Who is asking, for throttling: the peer address (the proxy passes the real one)."""
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Origin:
    """Where a request comes from, as the edge sees it: the peer address (behind a trusted
    proxy, the one it forwards: cli.py runs uvicorn with proxy_headers) and the browser."""

    address: str | None
    user_agent: str


async def client_origin(request: Request) -> Origin:
    return Origin(
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent", ""),
    )


# scope="function": the transaction ends before the response goes out, so a failed commit
# is an error answer, and a client never reads before its own write is visible.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
WriteDbSession = Annotated[AsyncSession, Depends(get_write_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
ClientKey = Annotated[str, Depends(client_key)]
ClientOrigin = Annotated[Origin, Depends(client_origin)]
