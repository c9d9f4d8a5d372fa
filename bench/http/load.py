"""Closed-loop HTTP/1.1 load: N keep-alive connections, each sending GETs back to back.

Raw asyncio streams rather than an HTTP client library, so the generator spends as little
CPU as it can on a machine it shares with the server. Prints one JSON object on stdout:
counts, errors, and every measured latency in microseconds.

    python -m bench.http.load --url http://127.0.0.1:8000/api/me --token T
"""

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

REQUEST_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
# Bounds memory even if a server turns out far faster than expected.
MAX_SAMPLES = 2_000_000


@dataclass
class Tally:
    record_from: float
    deadline: float
    latencies_us: list[int] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    warmup_errors: Counter[str] = field(default_factory=Counter)
    warmup_ok: int = 0

    def error(self, kind: str, at: float) -> None:
        (self.errors if at >= self.record_from else self.warmup_errors)[kind] += 1


def _request_bytes(host: str, port: int, path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Accept: application/json\r\n"
        "\r\n"
    ).encode()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the server keeps the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    keep = True
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value == b"close":
            keep = False
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is None:
        await reader.read()
        keep = False
    else:
        await reader.readexactly(length)
    return status, keep


async def _connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, tally: Tally
) -> None:
    """Send requests on one connection until the deadline, an error, or the server closes it."""
    while time.perf_counter() < tally.deadline:
        start = time.perf_counter()
        try:
            writer.write(request)
            status, keep = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.error(f"io:{type(exc).__name__}", time.perf_counter())
            return
        end = time.perf_counter()
        if end > tally.deadline:
            return
        if status != 200:
            tally.error(f"status:{status}", end)
        elif end < tally.record_from:
            tally.warmup_ok += 1
        else:
            tally.ok += 1
            if len(tally.latencies_us) < MAX_SAMPLES:
                tally.latencies_us.append(round((end - start) * 1e6))
        if not keep:
            return


async def _worker(host: str, port: int, request: bytes, tally: Tally) -> None:
    while time.perf_counter() < tally.deadline:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            tally.error(f"connect:{type(exc).__name__}", time.perf_counter())
            await asyncio.sleep(0.05)
            continue
        try:
            await _connection(reader, writer, request, tally)
        finally:
            writer.close()


async def run(url: str, token: str, concurrency: int, warmup: float, duration: float) -> Tally:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    request = _request_bytes(host, port, parts.path or "/", token)
    start = time.perf_counter()
    tally = Tally(record_from=start + warmup, deadline=start + warmup + duration)
    await asyncio.gather(*(_worker(host, port, request, tally) for _ in range(concurrency)))
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    tally = asyncio.run(run(args.url, args.token, args.concurrency, args.warmup, args.duration))
    json.dump(
        {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "ok": tally.ok,
            "warmup_ok": tally.warmup_ok,
            "errors": sum(tally.errors.values()),
            "warmup_errors": sum(tally.warmup_errors.values()),
            "error_kinds": dict(tally.errors + tally.warmup_errors),
            "latencies_us": tally.latencies_us,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
