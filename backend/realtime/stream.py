"""One sequenced stream a socket follows, and where its missed frames come from.

A room's messages and her notification feed are both numbered 1, 2, 3...: a socket
holds the last number it was sent, live frames that would skip one make it read the gap
from the stream's source first, and frames arriving meanwhile wait until the gap is
filled. So a client sees every frame once and in order, whatever the broker did.
"""

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from backend.core.db import Database
from backend.realtime.wire import Outgoing


class StreamSource(Protocol):
    """Where a kind of stream (every room, every feed) reads what a socket missed.
    Implemented by the domain that owns the stream, registered with the hub."""

    @property
    def page_size(self) -> int: ...

    async def page_after(
        self, db: Database, account_id: uuid.UUID, key: Hashable, after: int, limit: int
    ) -> Sequence[Outgoing]:
        """Frames numbered after ``after``, oldest first, at most ``limit``, as the
        account may read them now."""
        ...


@dataclass(eq=False)
class Stream:
    key: Hashable
    source: StreamSource
    last: int
    filling: bool = False
    pending: list[Outgoing] = field(default_factory=list)
    # Frames outside the sequence (edits, read marks) that arrived while filling.
    pending_unsequenced: list[Outgoing] = field(default_factory=list)
    # The ``last`` seen behind the stream's head at the previous revalidation.
    behind_at: int | None = None

    def take_pending(self) -> tuple[list[Outgoing], bool]:
        """The waiting frames that follow on from ``last``, in order, with ``last``
        moved past them, and whether one is still missing after them (then the rest
        waits while the gap is read)."""
        ready: list[Outgoing] = []
        waiting = sorted(self.pending, key=lambda out: out.seq)
        self.pending = []
        for index, out in enumerate(waiting):
            if out.seq <= self.last:
                continue
            if out.seq != self.last + 1:
                self.pending = waiting[index:]
                return ready, True
            self.last = out.seq
            ready.append(out)
        return ready, False
