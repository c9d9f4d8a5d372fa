"""Process metrics in the Prometheus text format, written by hand (no client library).

Counters and histograms live for the whole process: every app built in it adds to the
same ones, as Prometheus expects of a process. Gauges are read when scraped, from
callbacks the application registers (open sockets, rooms, broker drops). Labels are
routes and status codes only: never an id, a pseudonym or an address.
"""

import bisect
import math
import threading
from collections.abc import Callable, Iterable

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

LabelValues = tuple[str, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: LabelValues, extra: str = "") -> str:
    parts = [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class Counter:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name = name
        self.help = help_text
        self.label_names = labels
        self._values: dict[LabelValues, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, *labels: str) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        values = dict(self._values) or ({(): 0.0} if not self.label_names else {})
        for labels, value in sorted(values.items()):
            yield f"{self.name}{_labels(self.label_names, labels)} {_number(value)}"


class Histogram:
    def __init__(
        self,
        name: str,
        help_text: str,
        labels: tuple[str, ...] = (),
        buckets: tuple[float, ...] = _LATENCY_BUCKETS,
    ) -> None:
        self.name = name
        self.help = help_text
        self.label_names = labels
        self.buckets = buckets
        # Per label set: counts per bucket (not cumulative), sum, count.
        self._series: dict[LabelValues, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, *labels: str) -> None:
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            series = self._series.get(labels)
            if series is None:
                series = ([0] * (len(self.buckets) + 1), [0.0, 0.0])
                self._series[labels] = series
            series[0][index] += 1
            series[1][0] += value
            series[1][1] += 1

    def count(self, *labels: str) -> int:
        series = self._series.get(labels)
        return int(series[1][1]) if series else 0

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        with self._lock:
            snapshot = {k: (list(v[0]), list(v[1])) for k, v in self._series.items()}
        for labels, (counts, (total, count)) in sorted(snapshot.items()):
            running = 0
            for bound, bucket_count in zip((*self.buckets, math.inf), counts, strict=True):
                running += bucket_count
                le = f'le="{_number(bound)}"'
                yield f"{self.name}_bucket{_labels(self.label_names, labels, le)} {running}"
            yield f"{self.name}_sum{_labels(self.label_names, labels)} {_number(total)}"
            yield f"{self.name}_count{_labels(self.label_names, labels)} {_number(count)}"


class Gauge:
    """A value read when scraped; the last registered callback wins (one app per process)."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.read: Callable[[], float] = lambda: 0.0

    def set_function(self, read: Callable[[], float]) -> None:
        self.read = read

    def set(self, value: float) -> None:
        self.read = lambda: value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} gauge"
        try:
            value = float(self.read())
        except Exception:  # a scrape must never fail on one gauge
            value = math.nan
        yield f"{self.name} {'NaN' if math.isnan(value) else _number(value)}"


HTTP_REQUESTS = Counter(
    "tandem_http_requests_total", "HTTP requests answered.", ("method", "route", "status")
)
HTTP_LATENCY = Histogram(
    "tandem_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer.",
    ("method", "route"),
)
WS_CONNECTIONS_OPENED = Counter(
    "tandem_ws_connections_opened_total", "WebSocket connections accepted."
)
WS_CONNECTIONS = Gauge("tandem_ws_connections", "WebSocket connections open on this process.")
WS_ROOMS = Gauge("tandem_ws_rooms", "Rooms with at least one connection on this process.")
ROOM_MESSAGES = Counter(
    "tandem_room_messages_total", "New room messages this process heard from the broker."
)
ROOM_DELIVERIES = Counter(
    "tandem_room_message_deliveries_total", "Messages handed to this process's subscribed sockets."
)
WS_SLOW_CONSUMERS = Counter(
    "tandem_ws_slow_consumer_closes_total",
    "Connections closed because their send queue was full (they resume on reconnect).",
)
BROKER_DROPPED = Gauge(
    "tandem_broker_dropped_total",
    "Events the broker gave up publishing (stored; receivers fetch the gap).",
)
BROKER_UP = Gauge("tandem_broker_up", "1 when the broker answered its last readiness check.")

_ALL: tuple[Counter | Histogram | Gauge, ...] = (
    HTTP_REQUESTS,
    HTTP_LATENCY,
    WS_CONNECTIONS_OPENED,
    WS_CONNECTIONS,
    WS_ROOMS,
    ROOM_MESSAGES,
    ROOM_DELIVERIES,
    WS_SLOW_CONSUMERS,
    BROKER_DROPPED,
    BROKER_UP,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render() -> str:
    return "\n".join(line for metric in _ALL for line in metric.render()) + "\n"
