"""Events travel as JSON and come back as the types their domain declared."""

import uuid

import pytest

from backend.realtime import bus
from backend.realtime.stream import Stream
from backend.realtime.wire import Outgoing
from backend.room import events as room_events

ROOM = uuid.uuid4()
HER = uuid.uuid4()


@pytest.mark.parametrize(
    "event",
    [
        room_events.MessageEvent(ROOM, 3, HER, {"seq": 3, "body": "hi"}),
        room_events.MessageEvent(ROOM, 4, None, {"seq": 4, "body": "system"}),
        room_events.MessageUpdatedEvent(ROOM, 3, HER, {"seq": 3, "body": "hello"}),
        room_events.MemberAddedEvent(ROOM, HER),
        room_events.MemberRemovedEvent(ROOM, HER, reason="left"),
        room_events.TypingEvent(ROOM, HER, "Lina", hidden_from=(uuid.uuid4(),)),
        bus.AccountChangedEvent(HER),
        bus.AccountFrameEvent(HER, "notifications", None, {"type": "notifications_read"}),
    ],
)
def test_an_event_comes_back_as_its_type(event: bus.Event) -> None:
    decoded = bus.decode(bus.encode(event))
    assert type(decoded) is type(event)
    assert decoded == event


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError):
        bus.decode(b'{"kind": "nobody_registered_this"}')


def test_two_events_cannot_share_a_name() -> None:
    with pytest.raises(ValueError, match="two events"):

        @bus.event_kind("message")
        class Impostor(bus.Event):
            pass


def frames(*seqs: int) -> list[Outgoing]:
    return [Outgoing("message", {"seq": n}) for n in seqs]


class TestTakePending:
    def test_frames_that_follow_on_are_taken_in_order(self) -> None:
        stream = Stream(ROOM, source=None, last=2)  # type: ignore[arg-type]  # not read here
        stream.pending = frames(5, 3, 4, 2)
        ready, gap = stream.take_pending()
        assert [out.seq for out in ready] == [3, 4, 5]
        assert (gap, stream.last, stream.pending) == (False, 5, [])

    def test_a_gap_keeps_the_rest_waiting(self) -> None:
        stream = Stream(ROOM, source=None, last=2)  # type: ignore[arg-type]  # not read here
        stream.pending = frames(3, 6, 7)
        ready, gap = stream.take_pending()
        assert [out.seq for out in ready] == [3]
        assert gap
        assert stream.last == 3
        assert [out.seq for out in stream.pending] == [6, 7]
