from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Chat rooms at /ws/chat/<room_name>/ and the /chat/ page."""

    name = "chat"
