"""The client side of the rooms benchmark: run in its own process, prints one JSON object.

    python -m bench.rooms.load --target tandem --url ws://127.0.0.1:8000/ws \
        --setup setup.json --scenario fanout --rooms big
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CONNECT_BATCH = 100
# Receivers subscribe as clients that are up to date: nothing earlier is replayed, so a
# benchmark database can be reused (the server holds min(last, head)).
UP_TO_DATE = 10**12
WARMUP_MESSAGES = 5
WARMUP_NUMBER = 10**6
PAD = "x" * 80


def _stamp(seconds: float) -> str:
    value = int(seconds * 1_000_000)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
    return out or "0"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Target:
    kind: str
    url: str

    async def open(self, token: str | None, room: str | None, last: int = 0) -> ClientConnection:
        headers = {"Authorization": f"Bearer {token}"} if token and self.kind == "tandem" else None
        ws = await connect(
            self.url,
            additional_headers=headers,
            compression=None,
            max_size=1 << 20,
            open_timeout=60,
            ping_interval=None,
        )
        if self.kind == "tandem":
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            if room is not None:
                await ws.send(json.dumps({"type": "subscribe", "rooms": {room: last}}))
                while json.loads(await ws.recv())["type"] != "subscribed":
                    pass
        else:
            await ws.send(json.dumps({"join": room or "sender"}))
            await ws.recv()
        return ws

    def frame(self, room: str, i: int) -> str:
        # The send time in base 36: a long run of digits reads as a phone number to the
        # screening rules, which would hold it back from newcomers.
        body = f"{i}|{_stamp(time.perf_counter())}|{PAD}"
        if self.kind == "tandem":
            return json.dumps(
                {"type": "send", "room_id": room, "client_id": uuid.uuid4().hex, "body": body}
            )
        return json.dumps({"type": "message", "room": room, "seq": i, "body": body})


@dataclass
class Receivers:
    latencies: list[float] = field(default_factory=list)
    counts: Counter[tuple[int, int]] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    delivered: int = 0
    last_at: float = 0.0
    record: bool = True


async def _receive(ws: ClientConnection, index: int, sink: Receivers) -> None:
    try:
        async for raw in ws:
            data = json.loads(raw)
            if data.get("type") != "message":
                continue
            now = time.perf_counter()
            number, stamp, _ = data["body"].split("|", 2)
            sink.delivered += 1
            sink.last_at = now
            if sink.record:
                sink.latencies.append(now - int(stamp, 36) / 1_000_000)
            sink.counts[(index, int(number))] += 1
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        sink.closed[f"{type(exc).__name__}:{ws.close_code}"] += 1


async def _drain(ws: ClientConnection) -> None:
    try:
        async for _ in ws:
            pass
    except Exception:  # noqa: S110
        pass


async def _open_all(target: Target, plan: list[tuple[str, str]]) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    for start in range(0, len(plan), CONNECT_BATCH):
        batch = plan[start : start + CONNECT_BATCH]
        sockets.extend(await asyncio.gather(*(target.open(t, r, UP_TO_DATE) for t, r in batch)))
    return sockets


async def fanout(
    target: Target, setup: dict[str, Any], rooms_key: str, rate: float, seconds: float, burst: int
) -> dict[str, Any]:
    rooms: dict[str, list[str]] = setup[rooms_key]
    plan = [(token, room) for room, tokens in rooms.items() for token in tokens]
    receivers = await _open_all(target, plan)
    sender = await target.open(setup["sender"], None)
    drain = asyncio.create_task(_drain(sender))
    sink = Receivers()
    members = {room: len(tokens) for room, tokens in rooms.items()}
    index_room = [room for room, tokens in rooms.items() for _ in tokens]
    readers = [asyncio.create_task(_receive(ws, i, sink)) for i, ws in enumerate(receivers)]
    room_list = list(rooms)
    expected = 0

    async def wait_for(total: int, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while sink.delivered < total and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)

    # Warm-up, not counted, for both servers alike: a fresh process compiles its queries
    # and patterns on its first messages, which no later message pays again.
    sink.record = False
    for j in range(WARMUP_MESSAGES):
        room = room_list[j % len(room_list)]
        await sender.send(target.frame(room, WARMUP_NUMBER + j))
        expected += members[room]
    await wait_for(expected, 30)
    sink.record = True
    # Fixed rate: latency.
    count = int(rate * seconds)
    started = time.perf_counter()
    for i in range(count):
        room = room_list[i % len(room_list)]
        await sender.send(target.frame(room, i))
        expected += members[room]
        delay = started + (i + 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await wait_for(expected, 30)
    latencies = list(sink.latencies)
    fixed_delivered = sink.delivered
    # Burst: throughput.
    sink.record = False
    burst_start = time.perf_counter()
    for j in range(burst):
        room = room_list[(count + j) % len(room_list)]
        await sender.send(target.frame(room, count + j))
        expected += members[room]
    await wait_for(expected, 60)
    burst_seconds = max(sink.last_at - burst_start, 1e-9)
    burst_delivered = sink.delivered - fixed_delivered
    lost = 0  # not delivered before the wait ended
    duplicated = sum(1 for n in sink.counts.values() if n > 1)
    for i in range(count + burst):
        room = room_list[i % len(room_list)]
        for index, member_room in enumerate(index_room):
            if member_room == room and sink.counts[(index, i)] == 0:
                lost += 1
    for task in [*readers, drain]:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in [*receivers, sender]), return_exceptions=True)
    return {
        "connections": len(receivers),
        "fixed_rate_msgs_per_s": rate,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "burst_messages": burst,
        "delivered_per_s": round(burst_delivered / burst_seconds),
        "missing": lost,
        "duplicated": duplicated,
        "closed_early": dict(sink.closed),
    }


async def idle(target: Target, setup: dict[str, Any], connections: int) -> None:
    tokens: list[str] = setup["idle_tokens"]
    plan = [(tokens[i % len(tokens)], None) for i in range(connections)]
    sockets: list[ClientConnection] = []
    for start in range(0, len(plan), CONNECT_BATCH):
        batch = plan[start : start + CONNECT_BATCH]
        sockets.extend(await asyncio.gather(*(target.open(t, r) for t, r in batch)))
    print(json.dumps({"connected": len(sockets)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def resume(target: Target, setup: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    ws = await target.open(setup["resume_token"], setup["resume_room"], last=0)
    seen: list[int] = []
    async for raw in ws:
        data = json.loads(raw)
        if data.get("type") == "message":
            seen.append(data["seq"])
            if len(seen) == setup["resume_count"]:
                break
    elapsed = time.perf_counter() - started
    await ws.close()
    return {
        "messages": len(seen),
        "seconds": round(elapsed, 3),
        "in_order_without_gaps": seen == list(range(1, len(seen) + 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=("tandem", "bare"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--setup", required=True)
    parser.add_argument("--scenario", choices=("fanout", "idle", "resume"), required=True)
    parser.add_argument("--rooms", default="big")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--connections", type=int, default=5000)
    args = parser.parse_args()
    with open(args.setup) as handle:
        setup = json.load(handle)
    target = Target(args.target, args.url)
    if args.scenario == "fanout":
        result = asyncio.run(fanout(target, setup, args.rooms, args.rate, args.seconds, args.burst))
        print(json.dumps(result), flush=True)
    elif args.scenario == "idle":
        asyncio.run(idle(target, setup, args.connections))
    else:
        print(json.dumps(asyncio.run(resume(target, setup))), flush=True)


if __name__ == "__main__":
    main()
