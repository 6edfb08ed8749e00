from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Chat rooms at /ws/chat/<room_name>/ and the /chat/ page."""

    name = "chat"

    def ready(self) -> None:
        from chat import files  # noqa: F401  (its signal deletes a deleted attachment's files)
