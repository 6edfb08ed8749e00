"""Values every page's template may use."""

from django.conf import settings
from django.http import HttpRequest


def websocket(request: HttpRequest) -> dict[str, float]:
    """How often pages say `ping` to keep their sockets from closing as idle (seconds)."""
    return {"websocket_heartbeat": settings.WEBSOCKET_IDLE_TIMEOUT / 5}
