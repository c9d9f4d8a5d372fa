"""Real Chromium against a real server on a real database, loaded with the demo community.

Debian's /usr/bin/chromium is driven by Playwright (the machine has no outside network, so
`playwright install` cannot fetch a browser). Without Chromium the suite is skipped with
the reason, except in CI, where that is a failure.
"""

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from backend.core.config import Settings
from backend.demo.loader import load_demo
from backend.main import create_app
from tests.conftest import DatabaseFactory, make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "tandem-demo-walk"
PHONE = {"width": 360, "height": 760}
# `make screenshots` (TANDEM_SCREENSHOTS=1) refreshes the committed ones in docs/; other
# runs still take them (a page that cannot be drawn fails) but keep them out of the tree.
_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    _ROOT / "docs" / "screenshots"
    if os.environ.get("TANDEM_SCREENSHOTS") == "1"
    else _ROOT / "var" / "screenshots"
)


def _need_chromium() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is not installed (Debian package `chromium`)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed"
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser suite, but {problem}")
    pytest.skip(f"Browser suite skipped: {problem}")


class Site:
    """uvicorn in a thread on 127.0.0.1, a free port, the test database."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.exit_url = f"{self.url}/healthz"
        self.settings: Settings = make_settings(
            tmp,
            database_url,
            quick_exit_url=self.exit_url,
            session_idle_minutes=24 * 60,
        )
        asyncio.run(load_demo(self.settings))
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            ws_per_message_deflate=False,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    @contextmanager
    def api(self, pseudonym: str) -> Iterator[httpx.Client]:
        """An API client signed in as one of the demo people (bearer token)."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            response = client.post(
                "/api/auth/login",
                json={"pseudonym": pseudonym, "password": PASSWORD, "client": "api"},
            )
            assert response.status_code == 200, response.text
            client.headers["Authorization"] = f"Bearer {response.json()['token']}"
            yield client


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and the async tests collected after this package need none.
@pytest.fixture(scope="package")
def site(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    _need_chromium()
    tmp = tmp_path_factory.mktemp("browser-site")
    running = Site(tmp, database_factory.fresh(tmp))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="package")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclass
class People:
    """Browser contexts at phone width, one per person, each with its own cookies."""

    browser: Any
    site: Site
    contexts: list[Any]

    def new(self, **options: Any) -> Any:
        context = self.browser.new_context(
            viewport=PHONE, base_url=self.site.url, locale="en-GB", **options
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        return context

    def signed_in(self, pseudonym: str, **options: Any) -> Any:
        """A page of a new context, signed in through the sign-in form."""
        page = self.new(**options).new_page()
        page.goto("/sign-in")
        page.get_by_label("Pseudonym").fill(pseudonym)
        page.get_by_label("Password").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)
        return page


@pytest.fixture
def people(browser: Any, site: Site) -> Iterator[People]:
    made = People(browser, site, [])
    yield made
    for context in made.contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
