import logging

from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    """The streaming assistant at /ws/assistants/ and the /assistants/ page."""

    name = "assistants"

    def startup_report(self) -> list[tuple[int, str]]:
        """Which backend answers: start-up logs it (see core.startup)."""
        from assistants.backends import backend_summary

        return [(logging.INFO, backend_summary())]
