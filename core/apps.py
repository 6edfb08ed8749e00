from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Infrastructure shared by the apps: layers, origins, group names, routing."""

    name = "core"

    def ready(self) -> None:
        # Connects the receivers that close sockets when credentials end.
        from core import credentials  # noqa: F401
