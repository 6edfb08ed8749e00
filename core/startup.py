"""What the server tells its operator when it starts."""

import logging

from django.conf import settings

from assistants.backends import backend_summary
from core.layers import IN_MEMORY_LAYER, display_url

logger = logging.getLogger("relay.startup")


def startup_report() -> list[tuple[int, str]]:
    """(log level, line) for each platform choice made from the environment."""
    in_memory = settings.CHANNEL_LAYERS["default"]["BACKEND"] == IN_MEMORY_LAYER["BACKEND"]
    report = [(logging.WARNING if in_memory else logging.INFO, settings.CHANNEL_LAYER_SUMMARY)]
    report.append((logging.INFO, backend_summary()))
    if settings.JOBS_BACKEND == "celery":
        report.append(
            (
                logging.INFO,
                f"jobs: Celery, broker {display_url(str(settings.CELERY_BROKER_URL))} "
                "(workers: celery -A config worker)",
            )
        )
    else:
        report.append(
            (
                logging.WARNING,
                "jobs: IN-PROCESS, no Celery broker: jobs run in threads of this server "
                "and stop with it",
            )
        )
    if "ASYNCAPI_DOCS_JS_URL" in settings.CHANX:
        report.append((logging.INFO, "AsyncAPI docs: viewer served from local static files"))
    else:
        report.append(
            (
                logging.WARNING,
                "AsyncAPI docs: node_modules is missing (run `npm ci`), so "
                "/asyncapi/docs/ loads its viewer from a CDN and needs internet",
            )
        )
    return report


def log_startup_summary() -> None:
    """Runs once per server process, when config.asgi is imported."""
    for level, line in startup_report():
        logger.log(level, line)
