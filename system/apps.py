import logging

from django.apps import AppConfig
from django.conf import settings

from core.layers import display_url


class SystemConfig(AppConfig):
    """Echo, background jobs and notifications at /ws/system/, and the /system/ page."""

    name = "system"

    def startup_report(self) -> list[tuple[int, str]]:
        """Where background jobs run: start-up logs it (see core.startup)."""
        if settings.JOBS_BACKEND == "celery":
            broker = display_url(str(settings.CELERY_BROKER_URL))
            return [
                (logging.INFO, f"jobs: Celery, broker {broker} (workers: celery -A config worker)")
            ]
        return [
            (
                logging.WARNING,
                "jobs: IN-PROCESS, no Celery broker: jobs run in threads of this server "
                "and stop with it",
            )
        ]
