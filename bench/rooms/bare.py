"""The floor: a bare ``websockets`` server doing the same fan-out with no storage and no checks.

A client's first frame names its room (``{"join": "<room>"}``); every later frame it
sends is broadcast to everyone in that room (sender included), as a frame of the same
shape and size as Tandem's ``message`` frame (docs/realtime.md): the same bytes on the
wire and the same parsing for the client, so the two servers are compared on the work
that differs (storing, checking), not on what the client reads.

    python -m bench.rooms.bare --port 8766
"""

import argparse
import asyncio
import json
import uuid
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

SENDER = {"id": str(uuid.uuid4()), "pseudonym": "bench00000"}


def message_frame(sent: dict[str, object]) -> str:
    """Built once per message, like the app's hub does."""
    return json.dumps(
        {
            "type": "message",
            "id": str(uuid.uuid4()),
            "room_id": sent["room"],
            "seq": sent["seq"],
            "kind": "text",
            "author": SENDER,
            "body": sent["body"],
            "reply_to": None,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "edited_at": None,
            "deleted": False,
            "deleted_by_moderator": False,
            "delete_reason": None,
            "content_warning": None,
            "collapsed": False,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


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
                sent = json.loads(frame)
                # Same shape of work as the app's hub: one encoded frame, a plain loop.
                broadcast(rooms.get(str(sent["room"]), members), message_frame(sent))
        finally:
            members.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_size=64 * 1024):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
