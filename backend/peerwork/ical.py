"""A worker's shifts as an iCalendar feed.

Calendars get synced to phones, and a phone may be checked by the wrong person: every
event is titled "Shift", with no place, zone, organisation or description.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

NEUTRAL_TITLE = "Shift"


@dataclass(frozen=True)
class CalendarEntry:
    uid: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    changed_at: datetime


def feed(entries: Iterable[CalendarEntry], *, calendar_name: str, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tandem//Schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", calendar_name)
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@tandem")
        event.add("dtstamp", now)
        event.add("last-modified", entry.changed_at)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", NEUTRAL_TITLE)
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
