"""The floor: a bare ``websockets`` server doing the same fan-out with no storage and no checks.

A client's first frame names its room (``{"join": "<room>"}``); every later frame it
sends is broadcast, as received, to everyone in that room (sender included).

    python -m bench.rooms.bare --port 8766
"""

import argparse
import asyncio
import json

from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(port: int) -> None:
    rooms: dict[str, set[ServerConnection]] = {}

    async def handler(ws: ServerConnection) -> None:
        first = json.loads(await ws.recv())
        room = str(first["join"])
        members = rooms.setdefault(room, set())
        members.add(ws)
        await ws.send('{"type":"subscribed"}')
        try:
            async for frame in ws:
                # Same shape of work as the app's hub: one encoded frame, a plain loop.
                broadcast(rooms.get(json.loads(frame)["room"], members), frame)
        finally:
            members.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_size=64 * 1024):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
