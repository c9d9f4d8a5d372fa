"""The deployed topology, for real: PostgreSQL, Redis, two app processes, nginx with TLS.

Run by ``make test-topology`` (and so by .ci/run); skipped in ``make test``. What it
proves, in order: members on process A and on process B talk in one room through nginx;
A is killed with SIGKILL while a sender keeps posting, and A's reader comes back through
nginx (now to B) and resumes with nothing lost and nothing twice; A restarts and takes new
sockets; Redis stops for a few seconds and what was posted meanwhile reaches everyone
once it is back. Every process is stopped at the end, also when an assertion fails
(deploy/topology.py's context manager). The figures go to the terminal and, when
TANDEM_TOPOLOGY_REPORT names a file, into it.
"""

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.core.db import Database
from deploy.topology import Topology, TopologyUnavailable
from tests.deploy.clients import Member, Reader, Sender, register, request_with_retry

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("TANDEM_TOPOLOGY") != "1",
        reason="the topology test runs with `make test-topology`",
    ),
]

FAILOVER_MESSAGES = 200
KILL_AFTER = 80
LANES = 4
OUTAGE_MESSAGES = 20
OUTAGE_SECONDS = 3.0


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    try:
        with Topology() as running:
            yield running
    except TopologyUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the topology test, but: {exc}")
        pytest.skip(str(exc))


def ws_connections(topology: Topology, name: str) -> int:
    text = httpx.get(f"{topology.app_url(name)}/metrics", timeout=5).text
    found = re.search(r"^tandem_ws_connections (\d+)$", text, re.MULTILINE)
    assert found is not None, text
    return int(found.group(1))


async def grant(database_url: str, member: Member, *roles: Role) -> None:
    database = Database(database_url)
    try:
        for role in roles:
            async with database.session() as session:
                await auth_service.grant_role(
                    session, actor_id=None, account_id=member.id, role=role, organisation_id=None
                )
    finally:
        await database.dispose()


async def placed_reader(
    topology: Topology, http: httpx.AsyncClient, member: Member, room: uuid.UUID, where: str
) -> Reader:
    """A reader whose socket nginx gave to process ``where``.

    nginx sends a new socket to the process holding fewest (least_conn): a socket that
    lands elsewhere is kept open while the next one is tried, then closed. A process nginx
    saw fail is tried again after fail_timeout (5 s).
    """
    spares: list[Reader] = []
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            before = ws_connections(topology, where)
            reader = Reader(
                member.pseudonym,
                http,
                member,
                room,
                topology.ws_url,
                topology.ssl_context(),
                topology.url,
            )
            reader.start()
            await asyncio.wait_for(reader.connected.wait(), 15)
            if ws_connections(topology, where) > before:
                return reader
            if len(spares) < 2:
                spares.append(reader)
            else:
                await reader.stop()
                await asyncio.sleep(0.5)
    finally:
        for spare in spares:
            await spare.stop()
    raise AssertionError(f"nginx never gave {member.pseudonym}'s socket to process {where}")


def figures(reader: Reader, head: int) -> dict[str, int]:
    seqs = [seq for seq, _ in reader.received]
    return {
        "received": len(seqs),
        "lost": len(set(range(1, head + 1)) - set(seqs)),
        "duplicated": reader.duplicates,
        "out_of_order": reader.gaps,
        "reconnects": reader.reconnects,
    }


def report(lines: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print()
        for line in lines:
            print(f"topology: {line}")
    target = os.environ.get("TANDEM_TOPOLOGY_REPORT")
    if target:
        Path(target).write_text("".join(f"{line}\n" for line in lines))


async def test_failover_and_redis_outage_lose_nothing(
    topology: Topology, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    lines: list[str] = []
    async with httpx.AsyncClient(
        base_url=topology.url, verify=topology.ssl_context(), timeout=10
    ) as http:
        ioana = await register(http, "Ioana")
        lina = await register(http, "Lina")
        joy = await register(http, "Joy")
        await grant(topology.database_url, ioana, Role.FACILITATOR, Role.ACTIVE_MEMBER)
        await grant(topology.database_url, lina, Role.MEMBER)
        await grant(topology.database_url, joy, Role.MEMBER)
        created = await http.post(
            "/api/rooms",
            json={"kind": "support_group", "name": "Tuesday circle"},
            headers=ioana.auth,
        )
        assert created.status_code == 201, created.text
        room = uuid.UUID(created.json()["id"])
        for member in (lina, joy):
            joined = await http.post(f"/api/rooms/{room}/join", headers=member.auth)
            assert joined.status_code == 200, joined.text

        # Both processes sign cards with the same keys (made once, by tandem migrate).
        jwks = {httpx.get(f"{topology.app_url(n)}/.well-known/jwks.json").text for n in "ab"}
        assert len(jwks) == 1

        # 1. One member on each process, through nginx; they talk.
        on_a = await placed_reader(topology, http, lina, room, "a")
        on_b = await placed_reader(topology, http, joy, room, "b")
        readers = [on_a, on_b]
        try:
            await on_a.send("lina-1", "hello from a socket on A")
            await on_b.wait_for(1, 10)
            await on_b.send("joy-1", "hello back from a socket on B")
            await on_a.wait_for(2, 10)
            assert [b for _, b in on_b.received] == [
                "hello from a socket on A",
                "hello back from a socket on B",
            ]

            # 2. kill -9 A while Ioana keeps posting through nginx, several posts in flight.
            sender = Sender(http, ioana, room)
            loop = asyncio.get_running_loop()
            killed_at = 0.0

            async def lane(number: int) -> None:
                for i in range(number, FAILOVER_MESSAGES, LANES):
                    await sender.post(f"failover message {i}", client_id=f"failover-{i}")
                    await asyncio.sleep(0.01)

            async def crash_a() -> None:
                nonlocal killed_at
                while len(sender.sent) < KILL_AFTER:
                    await asyncio.sleep(0.001)
                topology.apps["a"].kill9()
                killed_at = loop.time()

            await asyncio.gather(crash_a(), *(lane(n) for n in range(LANES)))
            head = 2 + FAILOVER_MESSAGES
            for reader in readers:
                await reader.wait_for(head, 30)
            resubscribed = on_a.subscribed_at[-1] - killed_at
            assert on_a.reconnects >= 1, "A's reader never noticed A had died"
            assert ws_connections(topology, "b") == 2
            for reader in readers:
                counted = figures(reader, head)
                assert (counted["lost"], counted["duplicated"], counted["out_of_order"]) == (
                    0,
                    0,
                    0,
                )
            lines.append(
                f"failover: sent={len(sender.sent) + 2} (200 over HTTPS in {LANES} lanes, "
                f"2 over /ws); A killed with SIGKILL after {KILL_AFTER} posts; "
                f"posts repeated after a 502 or a dropped connection={sender.retries}, "
                f"of which already stored={sender.repeated_answers}; "
                f"A's reader resubscribed through nginx to B {resubscribed:.2f} s after the kill"
            )
            for reader, where in ((on_a, "on A, moved to B"), (on_b, "on B")):
                lines.append(
                    f"failover reader {reader.name} ({where}): "
                    + " ".join(f"{k}={v}" for k, v in figures(reader, head).items())
                )

            # 3. A comes back (systemd's Restart=always) and takes new sockets again.
            await asyncio.to_thread(topology.start_app, "a")
            back_on_a = await placed_reader(topology, http, ioana, room, "a")
            readers.append(back_on_a)
            await back_on_a.wait_for(head, 15)

            # 4. Redis stops for a few seconds; posts are stored, delivered after.
            topology.stop_redis()
            outage_started = time.monotonic()
            ready = await http.get("/readyz")
            assert ready.status_code == 503, ready.text
            for i in range(OUTAGE_MESSAGES):
                await sender.post(f"during the outage {i}", client_id=f"outage-{i}")
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
            await asyncio.to_thread(topology.start_redis)
            outage = time.monotonic() - outage_started
            await sender.post("after the outage", client_id="after-outage")
            head += OUTAGE_MESSAGES + 1
            for reader in readers:
                await reader.wait_for(head, 30)
            ready, _ = await request_with_retry(http, "GET", "/readyz")
            assert ready.status_code == 200
            for reader in readers:
                assert figures(reader, head)["lost"] == 0
                assert reader.duplicates == 0
                assert reader.gaps == 0
                assert [seq for seq, _ in reader.received] == list(range(1, head + 1))
            lines.append(
                f"redis outage: {outage:.1f} s, {OUTAGE_MESSAGES} posted during it + 1 after; "
                f"readers on A and B after it: "
                + ", ".join(
                    f"{r.name} received={len(r.received)}/{head} lost=0 duplicated={r.duplicates}"
                    for r in readers
                )
            )

            # The stored room holds every message once: retries made no duplicates.
            stored: list[str] = []
            while True:
                page = await http.get(
                    f"/api/rooms/{room}/messages",
                    params={"after": len(stored), "limit": 200},
                    headers=lina.auth,
                )
                assert page.status_code == 200, page.text
                if not page.json():
                    break
                stored.extend(m["body"] for m in page.json())
            assert len(stored) == head
            assert len(set(stored)) == head
            assert set(sender.sent) <= set(stored)
            lines.append(f"stored: {len(stored)} messages, {len(set(stored))} distinct")
        finally:
            for reader in readers:
                await reader.stop()

    check_logs(topology, ["Ioana", "Lina", "Joy", "failover message", "outage"])
    lines.append(f"whole run {time.monotonic() - started:.1f} s (topology start not counted)")
    report(lines, capsys)


def check_logs(topology: Topology, secrets: list[str]) -> None:
    """JSON lines with request ids; no pseudonym, message text, ticket or client address."""
    app_lines = [
        json.loads(line)
        for name in ("app-a", "app-b")
        for line in topology.log(name).read_text().splitlines()
        if line.startswith("{")
    ]
    access = [
        line
        for line in app_lines
        if line["logger"] == "tandem.access" and line["route"].startswith("/api/")
    ]
    assert access, "no access lines were logged"
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access), (
        "the request id nginx gave should be the one the app logs"
    )
    everything = "\n".join(
        [json.dumps(line) for line in app_lines]
        + (topology.base / "nginx" / "logs" / "tandem-access.log").read_text().splitlines()
    )
    for secret in secrets:
        assert secret not in everything, f"{secret!r} reached a log"
    assert "ticket=" not in everything
    assert '"client"' not in everything
