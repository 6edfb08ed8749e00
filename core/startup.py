"""
What the server tells its operator when it starts.

Each platform choice made from the environment gets one line: the channel
layer here, and whatever an installed app reports through a
`startup_report()` method on its AppConfig (the assistant's backend, where
background jobs run...).
"""

import logging
from collections.abc import Callable

from django.apps import apps
from django.conf import settings

from core.layers import IN_MEMORY_LAYER

logger = logging.getLogger("relay.startup")

Report = list[tuple[int, str]]
"""(log level, line) pairs."""


def startup_report() -> Report:
    """The channel layer first, then the AsyncAPI viewer, then each app's lines."""
    in_memory = settings.CHANNEL_LAYERS["default"]["BACKEND"] == IN_MEMORY_LAYER["BACKEND"]
    report = [(logging.WARNING if in_memory else logging.INFO, settings.CHANNEL_LAYER_SUMMARY)]
    if apps.is_installed("chanx.channels"):
        report.append(asyncapi_viewer_line())
    for app in apps.get_app_configs():
        app_report: Callable[[], Report] | None = getattr(app, "startup_report", None)
        if app_report is not None:
            report.extend(app_report())
    return report


def asyncapi_viewer_line() -> tuple[int, str]:
    if "ASYNCAPI_DOCS_JS_URL" in getattr(settings, "CHANX", {}):
        return logging.INFO, "AsyncAPI docs: viewer served from local static files"
    return (
        logging.WARNING,
        "AsyncAPI docs: node_modules is missing (run `npm ci`), so "
        "/asyncapi/docs/ loads its viewer from a CDN and needs internet",
    )


def log_startup_summary() -> None:
    """Runs once per server process, when config.asgi is imported."""
    for level, line in startup_report():
        logger.log(level, line)
