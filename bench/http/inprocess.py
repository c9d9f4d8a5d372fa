"""Per-request cost without sockets: each app driven in-process, one request at a time.

No server, no load process, no concurrency: httpx's ASGI transport calls the app directly,
so the figures are the app's own work plus the client's (about 200 µs here). Useful to see
where the gap in ``python -m bench.http`` comes from; noisy on a busy machine, so each figure
is the best of several batches. /healthz is not a clean base for Tandem: it is registered
after the API, so routing tries every API route before it.

    .venv/bin/python -m bench.http.inprocess
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.http.__main__ import ENDPOINT, PASSWORD, PSEUDONYM, BenchError, _environment, _prepare

BATCHES = 5


async def _best_us(client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int) -> float:
    for _ in range(n // 5 + 1):
        answer = await client.get(path, headers=headers)
        if answer.status_code != 200:
            raise BenchError(f"{path}: {answer.status_code} {answer.text}")
    best = float("inf")
    for _ in range(BATCHES):
        start = time.perf_counter()
        for _ in range(n):
            await client.get(path, headers=headers)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


async def _measure(requests: int) -> list[tuple[str, str, float]]:
    # Imported here: the settings are read from the environment set up by main().
    from backend.main import create_app
    from bench.http.floor import app as floor_app

    tandem_app = create_app()
    rows: list[tuple[str, str, float]] = []
    token: str | None = None
    for name, app in (("tandem", tandem_app), ("floor", floor_app)):
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c,
        ):
            if token is None:
                answer = await c.post(
                    "/api/auth/login",
                    json={"pseudonym": PSEUDONYM, "password": PASSWORD, "client": "api"},
                )
                if answer.status_code != 200:
                    raise BenchError(f"sign-in failed: {answer.status_code} {answer.text}")
                token = answer.json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            for path in ("/healthz", ENDPOINT):
                rows.append((name, path, await _best_us(c, path, headers, requests)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http.inprocess", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--requests", type=int, default=500, help="requests per batch")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000:
        parser.error("--requests must be in [1, 100000]")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        env = _environment(Path(tmp))
        try:
            _prepare(Path(tmp), env)
            os.environ.update(env)
            rows = asyncio.run(_measure(args.requests))
        except BenchError as exc:
            print(f"bench.http.inprocess: {exc}", file=sys.stderr)
            return 2
    by = {(name, path): us for name, path, us in rows}
    print(f"{'app':<8}{'path':<10}{'µs/request':>12}")
    for name in ("floor", "tandem"):
        for path in ("/healthz", ENDPOINT):
            print(f"{name:<8}{path:<10}{by[(name, path)]:>12.0f}")
    print(f"\nbest of {BATCHES} batches of {args.requests}, sequential, in-process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
