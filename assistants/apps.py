from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    """The streaming assistant at /ws/assistants/ and the /assistants/ page."""

    name = "assistants"
