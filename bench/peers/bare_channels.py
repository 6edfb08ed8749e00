"""
The floor of this stack: a bare Channels consumer that broadcasts each chat
message to its room's group, with no validation, no storage and no chanx.
It speaks just enough of the chat protocol for bench.fanout.

    uvicorn bench.peers.bare_channels:application
"""

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.peers.health import healthz  # noqa: E402


class BareRoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.group = "bench-" + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"action": "chat_history", "payload": {"messages": []}})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if content.get("action") == "new_chat_message":
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "room.message",
                    "payload": content["payload"],
                    "sender": self.channel_name,
                },
            )

    async def room_message(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            await self.send_json({"action": "new_chat_message", "payload": event["payload"]})


application = ProtocolTypeRouter(
    {
        "http": healthz,
        "websocket": URLRouter([path("ws/chat/<str:room>/", BareRoomConsumer.as_asgi())]),
    }
)
