from django.apps import AppConfig


class SystemConfig(AppConfig):
    """Echo, background jobs and notifications at /ws/system/, and the /system/ page."""

    name = "system"
