"""
The project's WebSocket guards around an exact echo: what the Autobahn
protocol cases talk to, served by the same ASGI servers as the project.

    daphne tests.support.conformance:application
"""

import os
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
http = get_asgi_application()

from core.guards import guarded  # noqa: E402


class ExactEcho(AsyncWebsocketConsumer):
    """Sends every message back as it came: the behaviour the cases expect."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self.send(bytes_data=bytes_data)
        else:
            await self.send(text_data=text_data)


application: Any = ProtocolTypeRouter({"http": http, "websocket": guarded(ExactEcho.as_asgi())})
