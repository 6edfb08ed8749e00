import logging
from importlib import import_module

from django.apps import AppConfig
from django.conf import settings


class AssistantsConfig(AppConfig):
    """The streaming assistant at /ws/assistants/ and the /assistants/ page."""

    name = "assistants"

    def ready(self) -> None:
        if settings.ASSISTANT_BACKEND == "openai":
            # Now rather than on the event loop, when the first question
            # arrives: the openai package takes most of a second to import.
            import_module("assistants.backends.openai_compatible")

    def startup_report(self) -> list[tuple[int, str]]:
        """Which backend answers: start-up logs it (see core.startup)."""
        from assistants.backends import backend_summary

        return [(logging.INFO, backend_summary())]
