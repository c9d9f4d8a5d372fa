"""A bounded load run against the deployed topology and against a single process.

    python -m bench.load                      # both, 60 s each, the defaults below
    python -m bench.load --target topology --seconds 30 --members 200 --sockets 120

For each target: start it (deploy/topology.py: PostgreSQL, Redis, app processes A and B,
nginx with TLS; or PostgreSQL and one app process), register ``--members`` members (all
signed in), open ``--sockets`` WebSockets spread over ``--rooms`` rooms, then for
``--seconds``: ``--http-users`` closed-loop users read (``GET /api/me``, ``/api/rooms``,
a room's history) with a pause between requests, and members post ``--post-rate``
messages a second in random rooms. Reports p50/p95/p99 per endpoint and for message
delivery (post sent -> frame read on each socket in the room), errors, and whether every
expected delivery arrived. Stops by itself: the time bound, and a request cap.

Argon2 runs with small parameters here (TANDEM_ARGON2_*: 1 MiB, t=1): registering 500
members at the production cost would measure password hashing, not the platform.
Writes bench/results/load-<date>.json and prints a Markdown table for deploy/README.md.
"""

import argparse
import asyncio
import datetime as dt
import json
import random
import ssl
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

import backend.models  # noqa: F401 - every table known before the grants
from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.core.db import Database
from deploy.topology import REPO, Topology

RESULTS_DIR = REPO / "bench" / "results"
LOAD_ENV = {
    "TANDEM_ARGON2_MEMORY_KIB": "1024",
    "TANDEM_ARGON2_TIME_COST": "1",
    "TANDEM_ARGON2_PARALLELISM": "1",
    # Every load member comes from 127.0.0.1: the per-client registration limit would stop
    # the setup, not protect anyone.
    "TANDEM_REGISTRATION_TAKEN_PER_CLIENT": "1000000",
    "TANDEM_LOG_REQUESTS": "true",
}
MAX_REQUESTS = 200_000


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Member:
    id: uuid.UUID
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "count": len(values),
                "p50_ms": round(percentile(values, 0.50) * 1000, 1),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
                "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            }
            for name, values in sorted(self.latencies.items())
        }


@dataclass
class Deliveries:
    sent_at: dict[str, float] = field(default_factory=dict)
    expected: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    seen: set[tuple[int, str]] = field(default_factory=set)


async def timed(
    tally: Tally, name: str, http: httpx.AsyncClient, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    tally.requests += 1
    try:
        response = await http.request(method, url, **kw)
    except httpx.HTTPError as exc:
        tally.errors[f"{name}: {type(exc).__name__}"] += 1
        return None
    tally.latencies[name].append(time.perf_counter() - started)
    if response.status_code >= 400:
        tally.errors[f"{name}: {response.status_code}"] += 1
    return response


async def setup(
    topology: Topology, http: httpx.AsyncClient, members: int, rooms: int
) -> tuple[list[Member], list[uuid.UUID]]:
    registered: list[Member] = []
    semaphore = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        async with semaphore:
            response = await http.post(
                "/api/auth/register",
                json={"pseudonym": f"Load{i:04d}", "password": "load run phrase", "client": "api"},
            )
            response.raise_for_status()
            body = response.json()
            registered.append(Member(uuid.UUID(body["account"]["id"]), body["token"]))

    await asyncio.gather(*(one(i) for i in range(members)))
    database = Database(topology.database_url)
    try:
        async with database.session() as session:
            for index, member in enumerate(registered):
                roles = [Role.MEMBER] + ([Role.FACILITATOR] if index == 0 else [])
                for role in roles:
                    await auth_service.grant_role(
                        session,
                        actor_id=None,
                        account_id=member.id,
                        role=role,
                        organisation_id=None,
                    )
    finally:
        await database.dispose()
    room_ids: list[uuid.UUID] = []
    for r in range(rooms):
        response = await http.post(
            "/api/rooms",
            json={"kind": "support_group", "name": f"Circle {r}"},
            headers=registered[0].auth,
        )
        response.raise_for_status()
        room_ids.append(uuid.UUID(response.json()["id"]))
    # Every member joins one room, round robin (the facilitator is in all of them).
    joins = [
        http.post(f"/api/rooms/{room_ids[i % rooms]}/join", headers=m.auth)
        for i, m in enumerate(registered[1:], start=1)
    ]
    for start in range(0, len(joins), 32):
        for response in await asyncio.gather(*joins[start : start + 32]):
            response.raise_for_status()
    return registered, room_ids


async def open_socket(
    topology: Topology,
    http: httpx.AsyncClient,
    member: Member,
    room: uuid.UUID,
    context: ssl.SSLContext | None,
) -> ClientConnection:
    ticket = (await http.post("/api/ws-tickets", headers=member.auth)).json()["ticket"]
    ws = await connect(
        f"{topology.ws_url}?ticket={ticket}",
        ssl=context,
        compression=None,
        open_timeout=30,
        ping_interval=None,
    )
    assert json.loads(await ws.recv())["type"] == "hello"
    await ws.send(json.dumps({"type": "subscribe", "rooms": {str(room): 0}}))
    while json.loads(await ws.recv())["type"] != "subscribed":
        pass
    return ws


async def receive(
    ws: ClientConnection, index: int, deliveries: Deliveries, errors: Counter[str]
) -> None:
    try:
        async for raw in ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") != "message":
                continue
            tag = frame["body"].split("|", 1)[0]
            if (index, tag) in deliveries.seen:
                deliveries.duplicates += 1
                continue
            deliveries.seen.add((index, tag))
            sent = deliveries.sent_at.get(tag)
            if sent is not None:
                deliveries.received += 1
                deliveries.latencies.append(now - sent)
    except Exception as exc:
        errors[f"socket closed: {type(exc).__name__}"] += 1


async def run_target(name: str, args: argparse.Namespace) -> dict[str, Any]:
    single = name == "single"
    print(f"[{name}] starting", file=sys.stderr)
    with Topology(app_env=LOAD_ENV, single=single) as topology:
        context = topology.ssl_context()
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends them, or a
        # request can be written into a connection the server is closing (single target).
        limits = httpx.Limits(
            max_connections=200, max_keepalive_connections=200, keepalive_expiry=4.0
        )
        async with httpx.AsyncClient(
            base_url=topology.url, verify=context or True, timeout=30, limits=limits
        ) as http:
            started = time.perf_counter()
            members, rooms = await setup(topology, http, args.members, args.rooms)
            print(
                f"[{name}] {len(members)} members, {len(rooms)} rooms in "
                f"{time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            tally = Tally()
            deliveries = Deliveries()
            socket_members = members[1 : args.sockets + 1]
            sockets: list[ClientConnection] = []
            per_room: Counter[uuid.UUID] = Counter()
            started = time.perf_counter()
            for start in range(0, len(socket_members), 20):
                batch = socket_members[start : start + 20]
                opened = await asyncio.gather(
                    *(
                        open_socket(topology, http, m, rooms[(start + i + 1) % len(rooms)], context)
                        for i, m in enumerate(batch)
                    )
                )
                sockets.extend(opened)
                for i in range(len(batch)):
                    per_room[rooms[(start + i + 1) % len(rooms)]] += 1
            print(
                f"[{name}] {len(sockets)} sockets in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            receivers = [
                asyncio.create_task(receive(ws, i, deliveries, tally.errors))
                for i, ws in enumerate(sockets)
            ]
            deadline = time.perf_counter() + args.seconds
            rng = random.Random(7)

            async def reader(user: int) -> None:
                # Member i joined rooms[i % rooms] (member 0 is in all of them).
                member = members[user % len(members)]
                room = rooms[(user % len(members)) % len(rooms)]
                while time.perf_counter() < deadline and tally.requests < MAX_REQUESTS:
                    pick = rng.random()
                    if pick < 0.4:
                        await timed(
                            tally, "GET /api/me", http, "GET", "/api/me", headers=member.auth
                        )
                    elif pick < 0.7:
                        await timed(
                            tally, "GET /api/rooms", http, "GET", "/api/rooms", headers=member.auth
                        )
                    else:
                        await timed(
                            tally,
                            "GET /api/rooms/{id}/messages",
                            http,
                            "GET",
                            f"/api/rooms/{room}/messages",
                            headers=member.auth,
                        )
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)

            async def poster() -> None:
                interval = 1.0 / args.post_rate
                pending: set[asyncio.Task[None]] = set()
                number = 0
                next_at = time.perf_counter()
                while time.perf_counter() < deadline and tally.requests < MAX_REQUESTS:
                    index = rng.randrange(1, len(members))
                    member = members[index]
                    room = rooms[index % len(rooms)]
                    tag = f"m{number}"
                    number += 1

                    async def post(
                        member: Member = member, room: uuid.UUID = room, tag: str = tag
                    ) -> None:
                        deliveries.sent_at[tag] = time.perf_counter()
                        response = await timed(
                            tally,
                            "POST /api/rooms/{id}/messages",
                            http,
                            "POST",
                            f"/api/rooms/{room}/messages",
                            json={"client_id": tag, "body": f"{tag}|{'x' * 60}"},
                            headers=member.auth,
                        )
                        if response is not None and response.status_code == 201:
                            deliveries.expected += per_room[room]

                    task = asyncio.create_task(post())
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    next_at += interval
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                if pending:
                    await asyncio.gather(*pending)

            run_started = time.perf_counter()
            await asyncio.gather(poster(), *(reader(u) for u in range(args.http_users)))
            elapsed = time.perf_counter() - run_started
            # Deliveries still on their way when the clock stopped.
            settle = time.perf_counter() + 10
            while deliveries.received < deliveries.expected and time.perf_counter() < settle:
                await asyncio.sleep(0.05)
            for task in receivers:
                task.cancel()
            await asyncio.gather(*receivers, return_exceptions=True)
            for ws in sockets:
                await ws.close()
            summary = tally.summary()
            summary["message delivery"] = {
                "count": len(deliveries.latencies),
                "p50_ms": round(percentile(deliveries.latencies, 0.50) * 1000, 1),
                "p95_ms": round(percentile(deliveries.latencies, 0.95) * 1000, 1),
                "p99_ms": round(percentile(deliveries.latencies, 0.99) * 1000, 1),
            }
            http_requests = sum(len(v) for k, v in tally.latencies.items())
            return {
                "target": name,
                "members": len(members),
                "sockets": len(sockets),
                "rooms": len(rooms),
                "seconds": round(elapsed, 1),
                "http_users": args.http_users,
                "post_rate": args.post_rate,
                "http_requests": http_requests,
                "http_per_second": round(http_requests / elapsed, 1),
                "deliveries_expected": deliveries.expected,
                "deliveries_received": deliveries.received,
                "duplicates": deliveries.duplicates,
                "errors": dict(tally.errors),
                "latency": summary,
            }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| target | what | count | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for what, row in result["latency"].items():
            lines.append(
                f"| {result['target']} | {what} | {row['count']} | {row['p50_ms']} | "
                f"{row['p95_ms']} | {row['p99_ms']} |"
            )
    lines.append("")
    for result in results:
        lines.append(
            f"- {result['target']}: {result['members']} members, {result['sockets']} sockets in "
            f"{result['rooms']} rooms, {result['seconds']} s, {result['http_requests']} HTTP "
            f"requests ({result['http_per_second']}/s), deliveries "
            f"{result['deliveries_received']}/{result['deliveries_expected']}, duplicates "
            f"{result['duplicates']}, errors {sum(result['errors'].values())}"
            + (f" {result['errors']}" if result["errors"] else "")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("both", "topology", "single"), default="both")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--http-users", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between reads, s")
    parser.add_argument("--post-rate", type=float, default=20, help="messages per second")
    args = parser.parse_args()
    if args.sockets >= args.members:
        parser.error("--sockets must be fewer than --members")
    targets = ["topology", "single"] if args.target == "both" else [args.target]
    results = [asyncio.run(run_target(name, args)) for name in targets]
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"load-{dt.datetime.now(dt.UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps({"argv": sys.argv[1:], "results": results}, indent=2) + "\n")
    print(table(results))
    print(f"\n(written to {out.relative_to(REPO)})")
    failed = any(
        r["errors"] or r["deliveries_received"] < r["deliveries_expected"] for r in results
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
