from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Infrastructure shared by the apps: layers, origins, group names, routing."""

    name = "core"
