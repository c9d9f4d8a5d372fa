"""Rooms benchmark: Tandem's /ws (one uvicorn process; SQLite, then PostgreSQL with Redis
when their servers are installed) against a bare websockets broadcast server, measured in
the same run; each figure is also printed as a ratio to the bare server's.

    .venv/bin/python -m bench.rooms [--quick] [--sqlite-only]

Clients run in a separate process on 127.0.0.1. Every phase is bounded in count and time.
docs/benchmarks-rooms.md explains the scenarios and keeps the figures.
"""

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.core.config import Settings
from backend.migrations import upgrade_to_head
from backend.room import messages as room_messages
from backend.room import rooms as room_rooms
from backend.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _env(base: Path, database_url: str, redis_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_SECRET_KEY_FILE": str(base / "secret.key"),
        "TANDEM_ARGON2_MEMORY_KIB": "1024",
        "TANDEM_ARGON2_TIME_COST": "1",
        "TANDEM_ARGON2_PARALLELISM": "1",
        "TANDEM_WS_FRAMES_PER_SECOND": "100000",
        "TANDEM_WS_FRAME_BURST": "100000",
        "TANDEM_WS_MAX_CONNECTIONS_PER_ACCOUNT": "16",
        "TANDEM_LOGIN_FAILURES_PER_CLIENT": "100000",
        "TANDEM_REGISTRATION_TAKEN_PER_CLIENT": "100000",
    }
    if redis_url:
        env["TANDEM_REDIS_URL"] = redis_url
    return env


async def _prepare(
    settings: Settings, members: int, crowd: int, resume_count: int
) -> dict[str, Any]:
    """Accounts with open sessions; a room of ``members``, rooms of ten, a room of ``crowd``
    (members and more), and a room holding ``resume_count`` messages."""
    upgrade_to_head(settings.database_url)
    runtime = build_runtime(settings)
    tokens: list[str] = []
    try:
        async with runtime.db.session() as session:
            accounts = []
            for i in range(max(members, crowd) + 2):
                account, _ = await auth_service.register_account(
                    session,
                    runtime.auth,
                    pseudonym=f"bench{i:05d}",
                    password="bench-password-long",
                    language="en",
                    client_key=f"bench{i}",
                )
                await auth_service.grant_role(
                    session,
                    actor_id=None,
                    account_id=account.id,
                    role=Role.MEMBER,
                    organisation_id=None,
                )
                issued = await auth_service.open_session(session, runtime.auth, account)
                accounts.append(account)
                tokens.append(issued.token)
            sender = accounts[0]
            big = await room_rooms.create_working_group_room(
                session, name="big", created_by=sender.id
            )
            small_rooms: dict[str, list[str]] = {}
            for r in range(members // 10):
                room = await room_rooms.create_working_group_room(
                    session, name=f"small{r}", created_by=sender.id
                )
                small_rooms[str(room.id)] = []
                for k in range(10):
                    index = 1 + r * 10 + k
                    await room_rooms.add_room_member(
                        session, room_id=room.id, account_id=accounts[index].id
                    )
                    small_rooms[str(room.id)].append(tokens[index])
            for index in range(1, members + 1):
                await room_rooms.add_room_member(
                    session, room_id=big.id, account_id=accounts[index].id
                )
            crowd_room = await room_rooms.create_working_group_room(
                session, name="crowd", created_by=sender.id
            )
            for index in range(1, crowd + 1):
                await room_rooms.add_room_member(
                    session, room_id=crowd_room.id, account_id=accounts[index].id
                )
            resume_room = await room_rooms.create_working_group_room(
                session, name="resume", created_by=accounts[-1].id
            )
            for i in range(resume_count):
                await room_messages.post_system_message(
                    session, room_id=resume_room.id, text=f"{i}|0|missed message"
                )
    finally:
        await runtime.close()
    return {
        "sender": tokens[0],
        "big": {str(big.id): tokens[1 : members + 1]},
        "small": small_rooms,
        "crowd": {str(crowd_room.id): tokens[1 : crowd + 1]},
        "idle_tokens": tokens[1 : crowd + 1],
        "resume_token": tokens[-1],
        "resume_room": str(resume_room.id),
        "resume_count": resume_count,
        # The bare server routes by the same ids.
    }


def _start(
    command: list[str], env: dict[str, str], ready: str, log: Path
) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if ready.startswith("http"):
            try:
                if httpx.get(ready, timeout=0.5).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
        elif ready in log.read_text(errors="replace"):
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start; see {log}")


def _load(target: str, url: str, setup: Path, *args: str, timeout: float = 300) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.rooms.load", "--target", target, "--url", url,
        "--setup", str(setup), *args,
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _idle(target: str, url: str, setup: Path, pid: int, connections: int) -> dict[str, Any]:
    before = _rss_kib(pid)
    command = [
        sys.executable, "-m", "bench.rooms.load", "--target", target, "--url", url,
        "--setup", str(setup), "--scenario", "idle", "--connections", str(connections),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    assert process.stdin is not None
    line = process.stdout.readline()
    connected = json.loads(line)["connected"] if line else 0
    time.sleep(1.0)
    after = _rss_kib(pid)
    process.stdin.write(b"\n")
    process.stdin.flush()
    process.wait(timeout=120)
    return {
        "connected": connected,
        "rss_before_mib": round(before / 1024, 1),
        "rss_after_mib": round(after / 1024, 1),
        "kib_per_connection": round((after - before) / max(connected, 1), 1),
    }


def _scenarios(
    target: str, url: str, setup: Path, pid: int, crowd: int, *, idle: bool
) -> dict[str, Any]:
    fanout = ("--scenario", "fanout")
    results = {
        # Ten seconds: a percentile over 200 messages, not a few outliers.
        "one_room": _load(target, url, setup, *fanout, "--rooms", "big", "--rate", "20",
                          "--seconds", "10", "--burst", "200"),
        "hundred_rooms": _load(target, url, setup, *fanout, "--rooms", "small", "--rate", "50",
                               "--seconds", "5", "--burst", "500"),
    }  # fmt: skip
    if idle:
        # Before the room of 5000: memory a process once held is not given back, and the
        # idle sockets would move into it unmeasured.
        results["idle"] = _idle(target, url, setup, pid, crowd)
    # A fixed rate the client process can read at 5000 sockets (25,000 frames/s).
    results["crowd_room"] = _load(target, url, setup, *fanout, "--rooms", "crowd", "--rate", "5",
                                  "--seconds", "10", "--burst", "40")  # fmt: skip
    if target == "tandem":
        results["resume"] = _load(target, url, setup, "--scenario", "resume")
    return results


def _postgres_and_redis() -> Any:
    """A throwaway PostgreSQL cluster and redis-server (deploy/topology.py), or None when
    their servers are not installed here."""
    from deploy.topology import Topology, TopologyUnavailable

    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        return None
    topology = Topology(single=True)
    try:
        topology.start_postgres()
        topology.start_redis()
    except (TopologyUnavailable, OSError, RuntimeError) as exc:
        print(f"PostgreSQL+Redis skipped: {exc}", flush=True)
        topology.stop()
        return None
    return topology


def _run_tandem(
    name: str,
    base: Path,
    env: dict[str, str],
    settings: Settings,
    sizes: tuple[int, int],
    *,
    idle: bool,
) -> dict[str, Any]:
    members, crowd = sizes
    started = time.monotonic()
    setup = asyncio.run(_prepare(settings, members, crowd, 1000))
    setup_path = base / f"setup-{name}.json"
    setup_path.write_text(json.dumps(setup))
    print(f"{name} setup: {crowd} members, {time.monotonic() - started:.1f}s", flush=True)
    port = _free_port()
    server = _start(
        [str(Path(sys.executable).parent / "tandem"), "serve", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
        base / f"tandem-{name}.log",
    )
    try:
        result = _scenarios(
            "tandem", f"ws://127.0.0.1:{port}/ws", setup_path, server.pid, crowd, idle=idle
        )
    finally:
        _stop(server)
    print(name, json.dumps(result), flush=True)
    return result


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _settings(env: dict[str, str], base: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=env["TANDEM_DATABASE_URL"],
        secret_key_file=base / "secret.key",
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        argon2_parallelism=1,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer members and messages")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL+Redis")
    args = parser.parse_args()
    members = 200 if args.quick else 1000
    crowd = 1000 if args.quick else 5000
    with tempfile.TemporaryDirectory(prefix="tandem-bench-rooms-") as tmp:
        base = Path(os.environ.get("TANDEM_BENCH_DIR") or tmp)
        base.mkdir(parents=True, exist_ok=True)
        results: dict[str, dict[str, Any]] = {}
        env = _env(base, f"sqlite:///{base}/bench.db")
        results["sqlite"] = _run_tandem(
            "sqlite", base, env, _settings(env, base), (members, crowd), idle=True
        )
        # The bare server routes by the same room ids as the SQLite run.
        bare_port = _free_port()
        bare = _start(
            [sys.executable, "-m", "bench.rooms.bare", "--port", str(bare_port)],
            env,
            "ready",
            base / "bare.log",
        )
        try:
            results["bare"] = _scenarios(
                "bare", f"ws://127.0.0.1:{bare_port}", base / "setup-sqlite.json", bare.pid,
                crowd, idle=True,
            )  # fmt: skip
        finally:
            _stop(bare)
        print("bare", json.dumps(results["bare"]), flush=True)
        topology = None if args.sqlite_only else _postgres_and_redis()
        if topology is not None:
            try:
                pg_env = _env(base, topology.database_url, topology.redis_url)
                results["postgres"] = _run_tandem(
                    "postgres", base, pg_env, _settings(pg_env, base), (members, crowd),
                    idle=False,
                )  # fmt: skip
            finally:
                topology.stop()
    _print_table(results, members, crowd)


def _ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.2f}x" if floor else "n/a"


def _print_table(results: dict[str, dict[str, Any]], members: int, crowd: int) -> None:
    floor = results["bare"]
    ours = [name for name in ("sqlite", "postgres") if name in results]
    labels = {"sqlite": "SQLite", "postgres": "PostgreSQL+Redis"}
    print()
    header = " | ".join(f"Tandem, {labels[n]} | ratio" for n in ours)
    print(f"| figure (one process) | bare websockets | {header} |")
    print("| --- | --- |" + " --- | --- |" * len(ours))

    def row(label: str, key: str, scenario: str, *, ratio: bool = True) -> None:
        cells = []
        for name in ours:
            mine = results[name].get(scenario, {}).get(key)
            shown = _ratio(float(mine), float(floor[scenario][key])) if ratio and mine else ""
            cells.append(f"{mine if mine is not None else '-'} | {shown}")
        print(f"| {label} | {floor[scenario][key]} | {' | '.join(cells)} |")

    scenarios = {
        "one_room": f"one room of {members}",
        "hundred_rooms": f"{members // 10} rooms of 10",
        "crowd_room": f"one room of {crowd}",
    }
    for scenario, title in scenarios.items():
        row(f"{title}: delivered/s (burst)", "delivered_per_s", scenario)
        row(f"{title}: p50 ms at a fixed rate", "p50_ms", scenario)
        row(f"{title}: p99 ms at a fixed rate", "p99_ms", scenario)
        row(f"{title}: missing", "missing", scenario, ratio=False)
        row(f"{title}: duplicated", "duplicated", scenario, ratio=False)
    row("idle connections held", "connected", "idle", ratio=False)
    row("KiB per idle connection", "kib_per_connection", "idle")
    for name in ours:
        r = results[name]["resume"]
        print(
            f"| resume {r['messages']} missed messages, {labels[name]} (s) | - | "
            f"{r['seconds']} (in order: {r['in_order_without_gaps']}) |"
        )


if __name__ == "__main__":
    main()
