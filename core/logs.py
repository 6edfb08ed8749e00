"""
One line per request, in one format: readable in development, JSON in production.

The server logs each request: daphne under runserver (`django.channels.server`:
an HTTP response; a WebSocket accepted, refused or closed), uvicorn in
production (`uvicorn.access` for HTTP, `uvicorn.error` for WebSocket
handshakes, core.serving's protocol for their closes). Others repeated it:
Django's own console handlers (gone once LOGGING names the `django` logger),
`django.request` for every 4xx (LOGGING keeps its errors only), and the
lines OneLinePerRequest drops: daphne's "HANDSHAKING" before each accept or
refusal, the websockets library's "connection open" after uvicorn's accept,
chanx's "Disconnecting websocket".

chanx logs through structlog; here structlog hands its events to the standard
library's loggers, and one ProcessorFormatter renders every record, of
whatever logger: see `rendered_by_structlog`.
"""

import logging
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

# The line core.serving's protocol logs as a WebSocket closes, like uvicorn's own.
WEBSOCKET_CLOSED = '%s - "WebSocket %s" closed %d'

# The arguments of uvicorn's request lines, by logger and message: JSON lines
# carry them as fields. daphne's lines name theirs already.
ARGUMENT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("uvicorn.access", '%s - "%s %s HTTP/%s" %d'): (
        "client", "method", "path", "http_version", "status",
    ),
    ("uvicorn.error", '%s - "WebSocket %s" [accepted]'): ("client", "path"),
    ("uvicorn.error", '%s - "WebSocket %s" 403'): ("client", "path"),
    ("uvicorn.error", '%s - "WebSocket %s" %d'): ("client", "path", "status"),
    ("uvicorn.error", WEBSOCKET_CLOSED): ("client", "path", "code"),
}  # fmt: skip


# What the websockets library logs, through uvicorn's logger, of each handshake
# that uvicorn logs with its path and client.
WEBSOCKETS_HANDSHAKE_LINES = {
    "connection open",
    "connection rejected (%d %s)",
    "HTTP response sent (%d %s)",
}


class OneLinePerRequest(logging.Filter):
    """Drops the lines that repeat what the server logs of the same request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.channels.server":
            # An accept or a refusal follows, with the same path and client.
            return not str(record.msg).startswith("WebSocket HANDSHAKING")
        if record.name == "uvicorn.error":
            return record.msg not in WEBSOCKETS_HANDSHAKE_LINES
        if record.name == "chanx" and isinstance(record.msg, dict):
            # The server logs the close.
            return record.msg.get("event") != "Disconnecting websocket"
        return True


def named_arguments(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Adds a standard-library record's arguments as fields, named where they are known."""
    arguments = event_dict.pop("positional_args", ())
    record = event_dict.get("_record")
    names: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    if isinstance(arguments, Mapping):
        names, values = tuple(arguments), tuple(arguments.values())
    elif isinstance(record, logging.LogRecord):
        names = ARGUMENT_NAMES.get((record.name, str(record.msg)), ())
        values = tuple(arguments)
    if names and len(names) == len(values):
        for name, value in zip(names, values, strict=True):
            event_dict.setdefault(name, value)
    return event_dict


def formatter(*, json: bool) -> dict[str, Any]:
    """A LOGGING formatter rendering any record with structlog, as JSON or for a terminal."""
    renderer: list[Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json
        else [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    )
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        # For records of the standard library's loggers; structlog's own have these.
        "foreign_pre_chain": [
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            *([named_arguments] if json else []),
        ],
        # JSON lines carry a record's arguments as fields; a terminal has them in the message.
        "pass_foreign_args": json,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.TimeStamper(fmt="iso" if json else "%Y-%m-%d %H:%M:%S", utc=json),
            *renderer,
        ],
    }


def configure_structlog() -> None:
    """Sends structlog's events (chanx's) to the standard library's loggers of the same name."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def rendered_by_structlog(config: Mapping[str, Any], *, json: bool) -> dict[str, Any]:
    """
    The LOGGING dict `config` with every handler's lines rendered by structlog
    (JSON lines if `json`) and without the repeats of the server's request lines.
    """
    configure_structlog()
    # A warning printed on its own would be the one line of another format.
    logging.captureWarnings(json)
    handlers = {
        name: {
            **handler,
            "formatter": "structlog",
            "filters": list(dict.fromkeys([*handler.get("filters", []), "one_line_per_request"])),
        }
        for name, handler in config["handlers"].items()
    }
    return {
        **config,
        "filters": {**config.get("filters", {}), "one_line_per_request": {"()": OneLinePerRequest}},
        "formatters": {**config["formatters"], "structlog": formatter(json=json)},
        "handlers": handlers,
    }
