"""Her notification feed on /ws: the frame that starts (or resumes) it, and where the
items a socket missed are read from. ``install(hub)`` at start-up (backend/main.py).

Live items reach her sockets as account frames (realtime/bus.py) on the stream called
``FEED``; each is numbered per account, so a socket that misses one reads it here.
"""

import uuid
from collections.abc import Hashable, Sequence

from backend.auth import realtime as auth_realtime
from backend.core.db import Database
from backend.notification import service as notification_service
from backend.notification.schemas import FeedResumeFrame
from backend.realtime.connection import Connection
from backend.realtime.hub import Hub
from backend.realtime.stream import Stream
from backend.realtime.wire import Outgoing

# Items sent on resume before the client is told to page over HTTP.
FEED_BACKLOG = 200
FEED_PAGE = 100


class FeedItems:
    page_size = FEED_PAGE

    async def page_after(
        self, db: Database, account_id: uuid.UUID, key: Hashable, after: int, limit: int
    ) -> Sequence[Outgoing]:
        page = await notification_service.feed_page_after(db, account_id, after, limit)
        return [Outgoing(frame["type"], frame) for frame in page.frames]


FEED_ITEMS = FeedItems()


def install(hub: Hub) -> None:
    hub.handle_frame("notifications", FeedResumeFrame, _resume_feed)


async def _resume_feed(connection: Connection, frame: FeedResumeFrame) -> None:
    hub = connection.hub
    if await auth_realtime.actor_for_frame(connection) is None:
        return
    first = await notification_service.feed_page_after(
        hub.db, connection.account_id, frame.after_seq, 0
    )
    if connection.closing:
        return
    last = min(frame.after_seq, first.head)
    behind = first.head - last > FEED_BACKLOG
    # Live items arriving from here on wait in the stream until the fill has caught up.
    stream = Stream(notification_service.FEED, FEED_ITEMS, last=first.head if behind else last)
    connection.follow(stream, topic=False)
    connection.offer_data(
        {
            "type": "notifications_subscribed",
            "last_seq": last,
            "head_seq": first.head,
            "unread": first.unread,
        }
    )
    if behind:
        connection.offer_data(
            {
                "type": "notifications_too_far_behind",
                "from_seq": last + 1,
                "to_seq": first.head,
                "message": "Page the missed notifications over HTTP; new ones follow.",
            }
        )
    connection.fill(stream)
