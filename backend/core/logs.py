"""Structured logs: one JSON object per line, each carrying the request id it belongs to.

What a line may hold is decided here, not at each call site: the access line names the
route template (``/api/rooms/{room_id}/messages``), never the raw path or query; no
message text, no pseudonym and, unless ``TANDEM_LOG_CLIENT_ADDRESS`` is set, no IP
address. Records from other libraries pass through the same formatter; uvicorn's own
access log (which prints addresses and raw paths) is switched off by ``tandem serve``.
"""

import contextvars
import json
import logging
import logging.config
import traceback
from datetime import UTC, datetime
from typing import Any, Literal

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tandem_request_id", default=None
)

# Attributes every LogRecord has; anything else was passed through ``extra=``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
# ``extra`` keys a record may carry into the log; everything else is dropped, so a call
# site cannot leak a body or a pseudonym by passing it along.
ALLOWED_EXTRA = frozenset(
    {
        "method",
        "route",
        "status",
        "duration_ms",
        "client",
        "event",
        "code",
        "port",
        "workers",
        "dropped",
    }
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key in ALLOWED_EXTRA:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type and the traceback's frames, not the exception's text: a database
            # error's text can quote the parameters of the statement that failed.
            entry["error"] = record.exc_info[0].__name__
            entry["trace"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, ensure_ascii=False, default=str)


class DropHandshakeLines(logging.Filter):
    """uvicorn logs each WebSocket handshake with the client's address and the query
    string, where a ticket travels; the access line and the metrics count them instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and '"WebSocket %s"' in record.msg)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = request_id_var.get()
        return f"{line} [{request_id}]" if request_id else line


LogFormat = Literal["json", "text"]


def logging_config(log_format: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for the server (passed to uvicorn) and for the CLI."""
    formatter = (
        "backend.core.logs.JsonFormatter"
        if log_format == "json"
        else ("backend.core.logs.TextFormatter")
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"tandem": {"()": formatter}},
        "filters": {"handshakes": {"()": "backend.core.logs.DropHandshakeLines"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "tandem",
                "filters": ["handshakes"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            # Off: it prints client addresses and raw paths. tandem.access replaces it.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }


def configure(log_format: LogFormat, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(log_format, level))
