"""Benchmark GET /api/me: the real Tandem app against a bare FastAPI + aiosqlite floor.

Prepares a fresh SQLite database with the demo community, serves Tandem and the floor
with uvicorn (one worker each, 127.0.0.1), signs in once, then runs a separate load
process against each in turn. Prints a table, writes bench/results/http-<date>.json,
and exits 1 when a target is missed.

    .venv/bin/python -m bench.http [--duration 10] [--concurrency 32] [--rounds 2]
"""

import argparse
import hashlib
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "bench" / "results"
BIN = Path(sys.executable).parent
PSEUDONYM = "Amara"
PASSWORD = "tandem-demo-walk"  # every demo account's password (backend/demo/cast.py)
ENDPOINT = "/api/me"

TARGET_RATIO = 0.5
TARGET_TAIL = 5.0

SETUP_TIMEOUT_S = 120
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
LOAD_SLACK_S = 60


class BenchError(Exception):
    pass


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TANDEM_DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}",
        TANDEM_SECRET_KEY_FILE=str(tmp / "secret.key"),
        # Only sign-in hashes a password here; cheap settings keep the setup fast.
        TANDEM_ARGON2_MEMORY_KIB="8192",
        TANDEM_ARGON2_TIME_COST="1",
        TANDEM_ARGON2_PARALLELISM="1",
        BENCH_HTTP_DB=str(tmp / "bench.db"),
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    )
    return env


def _prepare(tmp: Path, env: dict[str, str]) -> None:
    for verb in ("migrate", "demo"):
        done = subprocess.run(
            [str(BIN / "tandem"), verb],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"tandem {verb} failed:\n{done.stdout}{done.stderr}")


def _tandem_command(how: str, port: int) -> list[str]:
    if how == "serve":
        return [str(BIN / "tandem"), "serve", "--port", str(port)]
    # The app `tandem serve` runs, with the same proxy settings, minus its access log.
    return [
        sys.executable, "-m", "uvicorn", "backend.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
        "--log-level", "warning",
    ]  # fmt: skip


def _floor_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "bench.http.floor:app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning",
    ]  # fmt: skip


def _tail(path: Path, lines: int = 30) -> str:
    with suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _start(name: str, command: list[str], tmp: Path, env: dict[str, str], port: int) -> Server:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    return Server(name=name, process=process, port=port, log=log)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited at start:\n{_tail(server.log)}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(
        f"{server.name} did not answer within {START_TIMEOUT_S}s:\n{_tail(server.log)}"
    )


def _stop(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def _term_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind through `finally`, so the servers are stopped."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sign_in(tandem: Server) -> str:
    answer = httpx.post(
        f"{tandem.base}/api/auth/login",
        json={"pseudonym": PSEUDONYM, "password": PASSWORD, "client": "api"},
        timeout=30,
    )
    if answer.status_code != 200:
        raise BenchError(f"sign-in failed: {answer.status_code} {answer.text}")
    token: str = answer.json()["token"]
    return token


def _check_same_account(tandem: Server, floor: Server, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    real = httpx.get(f"{tandem.base}{ENDPOINT}", headers=headers, timeout=10)
    bare = httpx.get(f"{floor.base}{ENDPOINT}", headers=headers, timeout=10)
    if real.status_code != 200 or bare.status_code != 200:
        raise BenchError(f"{ENDPOINT}: tandem {real.status_code}, floor {bare.status_code}")
    real_body, bare_body = real.json(), bare.json()
    real_roles = sorted(r["role"] for r in real_body["roles"])
    bare_roles = sorted(r["role"] for r in bare_body["roles"])
    if (real_body["id"], real_body["pseudonym"], real_roles) != (
        bare_body["id"],
        bare_body["pseudonym"],
        bare_roles,
    ):
        raise BenchError(f"the two answers differ:\n{real_body}\n{bare_body}")
    unauthenticated = httpx.get(f"{floor.base}{ENDPOINT}", timeout=10).status_code
    if unauthenticated != 401:
        raise BenchError(f"floor answered {unauthenticated} without a token")
    return {
        "tandem_bytes": len(real.content),
        "floor_bytes": len(bare.content),
        "pseudonym": real_body["pseudonym"],
        "roles": real_roles,
    }


def _load(
    server: Server, token: str, args: argparse.Namespace, env: dict[str, str]
) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.http.load",
        "--url", f"{server.base}{ENDPOINT}", f"--token={token}",
        "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--duration", str(args.duration),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=args.warmup + args.duration + LOAD_SLACK_S,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"load generator failed:\n{done.stderr}")
    if server.process.poll() is not None:
        raise BenchError(f"{server.name} died under load:\n{_tail(server.log)}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _percentile(ordered: Sequence[int], q: float) -> float:
    """Nearest-rank percentile of sorted microseconds, in milliseconds."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] / 1000


def _summary(latencies_us: list[int], ok: int, errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies_us)
    return {
        "requests": ok,
        "errors": errors,
        "rps": ok / seconds if seconds else math.nan,
        "p50_ms": _percentile(ordered, 0.50),
        "p90_ms": _percentile(ordered, 0.90),
        "p99_ms": _percentile(ordered, 0.99),
        "max_ms": ordered[-1] / 1000 if ordered else math.nan,
    }


def _git() -> dict[str, Any]:
    def git(*argv: str) -> str:
        with suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(
                ["git", *argv], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
            )
            return done.stdout.strip()
        return ""

    diff = git("diff", "HEAD", "--", "backend")
    return {
        "commit": git("rev-parse", "HEAD"),
        "backend_dirty": bool(git("status", "--porcelain", "--", "backend")),
        # Names the uncommitted backend that was measured, when there is one.
        "backend_diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
    }


def _machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        # Other work on the machine skews the figures; a 1-minute load well above 0 says so.
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "packages": {
            name: version(name)
            for name in ("fastapi", "starlette", "uvicorn", "sqlalchemy", "sqlmodel", "aiosqlite")
        },
    }


def _run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = _environment(tmp)
    _prepare(tmp, env)
    servers: list[Server] = []
    try:
        tandem_port, floor_port = _free_port(), _free_port()
        tandem = _start("tandem", _tandem_command(args.tandem, tandem_port), tmp, env, tandem_port)
        servers.append(tandem)
        floor = _start("floor", _floor_command(floor_port), tmp, env, floor_port)
        servers.append(floor)
        for server in servers:
            _wait_ready(server)
        token = _sign_in(tandem)
        check = _check_same_account(tandem, floor, token)

        rounds: list[dict[str, Any]] = []
        pooled: dict[str, dict[str, Any]] = {
            name: {"latencies": [], "ok": 0, "errors": 0, "seconds": 0.0, "kinds": {}}
            for name in ("floor", "tandem")
        }
        for number in range(1, args.rounds + 1):
            for server in (floor, tandem):
                print(f"round {number}/{args.rounds}: {server.name} ...", file=sys.stderr)
                raw = _load(server, token, args, env)
                errors = raw["errors"] + raw["warmup_errors"]
                rounds.append(
                    {
                        "round": number,
                        "server": server.name,
                        **_summary(raw["latencies_us"], raw["ok"], errors, raw["duration_s"]),
                        "error_kinds": raw["error_kinds"],
                    }
                )
                bucket = pooled[server.name]
                bucket["latencies"].extend(raw["latencies_us"])
                bucket["ok"] += raw["ok"]
                bucket["errors"] += errors
                bucket["seconds"] += raw["duration_s"]
                for kind, count in raw["error_kinds"].items():
                    bucket["kinds"][kind] = bucket["kinds"].get(kind, 0) + count
    finally:
        for server in reversed(servers):
            try:
                _stop(server)
            except (OSError, subprocess.SubprocessError) as exc:
                print(
                    f"could not stop {server.name} (pid {server.process.pid}): {exc}",
                    file=sys.stderr,
                )

    totals = {
        name: {
            **_summary(b["latencies"], b["ok"], b["errors"], b["seconds"]),
            "error_kinds": b["kinds"],
        }
        for name, b in pooled.items()
    }
    floor_rps, tandem_p50 = totals["floor"]["rps"], totals["tandem"]["p50_ms"]
    ratio = totals["tandem"]["rps"] / floor_rps if floor_rps else math.nan
    tail = totals["tandem"]["p99_ms"] / tandem_p50 if tandem_p50 else math.nan
    errors = totals["tandem"]["errors"] + totals["floor"]["errors"]
    targets = {
        "ratio": {"value": ratio, "target": f">= {TARGET_RATIO}", "pass": ratio >= TARGET_RATIO},
        "tandem_p99_over_p50": {
            "value": tail, "target": f"<= {TARGET_TAIL}", "pass": tail <= TARGET_TAIL,
        },
        "errors": {"value": errors, "target": "== 0", "pass": errors == 0},
    }  # fmt: skip
    return {
        "benchmark": "http",
        "endpoint": f"GET {ENDPOINT}",
        "started_at": args.started_at.isoformat(),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "tandem_launch": args.tandem,
            "order": "floor, tandem per round",
        },
        "machine": args.machine,
        "git": _git(),
        "check": check,
        "rounds": rounds,
        "totals": totals,
        "targets": targets,
        "pass": all(t["pass"] for t in targets.values()),
    }


def _table(result: dict[str, Any]) -> str:
    head = f"{'run':<12}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}"
    head += f"{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
    lines = [head, "-" * len(head)]

    def row(label: str, r: dict[str, Any]) -> str:
        return (
            f"{label:<12}{r['requests']:>10}{r['rps']:>10.0f}{r['p50_ms']:>9.2f}"
            f"{r['p90_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['max_ms']:>9.2f}{r['errors']:>8}"
        )

    for r in result["rounds"]:
        lines.append(row(f"{r['server']} #{r['round']}", r))
    lines.append("-" * len(head))
    for name in ("floor", "tandem"):
        lines.append(row(f"{name} all", result["totals"][name]))
    lines.append("")
    for name, t in result["targets"].items():
        value = t["value"] if isinstance(t["value"], int) else f"{t['value']:.2f}"
        verdict = "PASS" if t["pass"] else "FAIL"
        lines.append(f"{name:<22}{value:>8}   target {t['target']:<8} {verdict}")
    s = result["settings"]
    m = result["machine"]
    lines.append("")
    lines.append(
        f"{s['rounds']} rounds x {s['duration_s']:g}s (+{s['warmup_s']:g}s warm-up), "
        f"concurrency {s['concurrency']}, tandem via {s['tandem_launch']}; "
        f"nproc {m['nproc']}, Python {m['python']}, load {m['loadavg_1m_at_start']} at start"
    )
    return "\n".join(lines)


def _write(result: dict[str, Any], started_at: datetime) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"http-{started_at:%Y-%m-%d}.json"
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(result, indent=2) + "\n")
    partial.replace(path)
    return path


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        value = kind(text)
        if not 0 < value <= 3600:
            raise argparse.ArgumentTypeError("must be in (0, 3600]")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--duration", type=_positive(float), default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=_positive(float), default=2.0, help="seconds discarded")
    parser.add_argument("--concurrency", type=_positive(int), default=32, help="open connections")
    parser.add_argument("--rounds", type=_positive(int), default=2, help="floor+tandem pairs")
    parser.add_argument(
        "--tandem",
        choices=("uvicorn", "serve"),
        default="uvicorn",
        help="uvicorn: the app factory at --log-level warning (default); "
        "serve: `tandem serve` as shipped (logs every request)",
    )
    args = parser.parse_args(argv)
    if args.rounds > 20 or args.concurrency > 1000:
        parser.error("at most 20 rounds and 1000 connections")
    args.started_at = datetime.now(UTC)
    args.machine = _machine()
    try:
        with _term_as_exit(), tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
            result = _run(args, Path(tmp))
    except BenchError as exc:
        print(f"bench.http: {exc}", file=sys.stderr)
        return 2
    path = _write(result, args.started_at)
    print(_table(result))
    print(f"\nwritten to {path.relative_to(REPO)}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
