"""Rooms benchmark: Tandem's /ws (one uvicorn process, SQLite) against a bare websockets
broadcast server, measured in the same run; each figure is also printed as a ratio.

    .venv/bin/python -m bench.rooms [--quick]

Clients run in a separate process on 127.0.0.1. Every phase is bounded in count and time.
"""

import argparse
import asyncio
import json
import os
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
from backend.room import service as room_service
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


def _env(base: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite:///{base}/bench.db",
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


async def _prepare(settings: Settings, members: int, resume_count: int) -> dict[str, Any]:
    upgrade_to_head(settings.database_url)
    runtime = build_runtime(settings)
    tokens: list[str] = []
    try:
        async with runtime.db.session() as session:
            accounts = []
            for i in range(members + 2):
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
            big = await room_service.create_working_group_room(
                session, name="big", created_by=sender.id
            )
            small_rooms: dict[str, list[str]] = {}
            for r in range(members // 10):
                room = await room_service.create_working_group_room(
                    session, name=f"small{r}", created_by=sender.id
                )
                small_rooms[str(room.id)] = []
                for k in range(10):
                    index = 1 + r * 10 + k
                    await room_service.add_room_member(
                        session, room_id=room.id, account_id=accounts[index].id
                    )
                    small_rooms[str(room.id)].append(tokens[index])
            for index in range(1, members + 1):
                await room_service.add_room_member(
                    session, room_id=big.id, account_id=accounts[index].id
                )
            resume_room = await room_service.create_working_group_room(
                session, name="resume", created_by=accounts[-1].id
            )
            for i in range(resume_count):
                await room_service.post_system_message(
                    session, room_id=resume_room.id, text=f"{i}|0|missed message"
                )
    finally:
        await runtime.close()
    return {
        "sender": tokens[0],
        "big": {str(big.id): tokens[1 : members + 1]},
        "small": small_rooms,
        "idle_tokens": tokens[1 : members + 1],
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


def _ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.2f}x" if floor else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer members and messages")
    args = parser.parse_args()
    members = 200 if args.quick else 1000
    idle_connections = 1000 if args.quick else 5000
    with tempfile.TemporaryDirectory(prefix="tandem-bench-rooms-") as tmp:
        base = Path(os.environ.get("TANDEM_BENCH_DIR") or tmp)
        base.mkdir(parents=True, exist_ok=True)
        env = _env(base)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=env["TANDEM_DATABASE_URL"],
            secret_key_file=base / "secret.key",
            argon2_memory_kib=1024,
            argon2_time_cost=1,
            argon2_parallelism=1,
        )
        started = time.monotonic()
        setup = asyncio.run(_prepare(settings, members, 1000))
        setup_path = base / "setup.json"
        setup_path.write_text(json.dumps(setup))
        print(f"setup: {members} members, {time.monotonic() - started:.1f}s", flush=True)
        tandem_port, bare_port = _free_port(), _free_port()
        tandem = _start(
            [str(Path(sys.executable).parent / "tandem"), "serve", "--port", str(tandem_port)],
            env,
            f"http://127.0.0.1:{tandem_port}/healthz",
            base / "tandem.log",
        )
        bare = _start(
            [sys.executable, "-m", "bench.rooms.bare", "--port", str(bare_port)],
            env,
            "ready",
            base / "bare.log",
        )
        urls = {"tandem": f"ws://127.0.0.1:{tandem_port}/ws", "bare": f"ws://127.0.0.1:{bare_port}"}
        pids = {"tandem": tandem.pid, "bare": bare.pid}
        results: dict[str, dict[str, Any]] = {}
        try:
            for name in ("bare", "tandem"):
                results[name] = {
                    "one_room": _load(name, urls[name], setup_path, "--scenario", "fanout",
                                      "--rooms", "big", "--rate", "20", "--seconds", "5",
                                      "--burst", "200"),
                    "hundred_rooms": _load(name, urls[name], setup_path, "--scenario", "fanout",
                                           "--rooms", "small", "--rate", "50", "--seconds", "5",
                                           "--burst", "500"),
                    "idle": _idle(name, urls[name], setup_path, pids[name], idle_connections),
                }  # fmt: skip
                print(name, json.dumps(results[name]), flush=True)
            results["tandem"]["resume"] = _load(
                "tandem", urls["tandem"], setup_path, "--scenario", "resume"
            )
        finally:
            for process in (tandem, bare):
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    _print_table(results, members)


def _print_table(results: dict[str, dict[str, Any]], members: int) -> None:
    ours, floor = results["tandem"], results["bare"]

    def row(label: str, mine: Any, bare: Any, ratio: bool = True) -> None:
        shown = _ratio(float(mine), float(bare)) if ratio else ""
        print(f"| {label} | {mine} | {bare} | {shown} |")

    print()
    print(f"| figure ({members} members, one process, SQLite) | Tandem | bare websockets | ratio |")
    print("| --- | --- | --- | --- |")
    for scenario in ("one_room", "hundred_rooms"):
        o, f = ours[scenario], floor[scenario]
        row(f"{scenario}: delivered/s (burst)", o["delivered_per_s"], f["delivered_per_s"])
        row(f"{scenario}: p50 ms at a fixed rate", o["p50_ms"], f["p50_ms"])
        row(f"{scenario}: p99 ms at a fixed rate", o["p99_ms"], f["p99_ms"])
        missing = f"{o['missing']} / {o['duplicated']}", f"{f['missing']} / {f['duplicated']}"
        row(f"{scenario}: missing / duplicated", *missing, ratio=False)
    o, f = ours["idle"], floor["idle"]
    row("idle connections held", o["connected"], f["connected"], ratio=False)
    row("KiB per idle connection", o["kib_per_connection"], f["kib_per_connection"])
    r = ours["resume"]
    resumed = f"{r['seconds']} (in order: {r['in_order_without_gaps']})"
    row(f"resume {r['messages']} missed messages (s)", resumed, "-", ratio=False)


if __name__ == "__main__":
    main()
