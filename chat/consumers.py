"""The chat room consumer: validates frames and delegates to chat.services."""

from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.decorators import ws_handler
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

from chat import services
from chat.authenticators import ChatAuthenticator
from chat.messages import NewChatMessage, PostedChatMessage
from core.groups import chat_room_group


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One connection to one chat room, at ws/chat/{room_name}/."""

    authenticator_class = ChatAuthenticator

    async def post_authentication(self) -> None:
        """Runs once the authenticator admitted the connection: join the room."""
        self.room_name: str = self.url_params["room_name"]
        await self.join_group(chat_room_group(self.room_name))

    @ws_handler(summary="Check the connection is alive")
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(
        summary="Post a message to the room",
        description="Everyone else in the room receives it with its id and time; "
        "the sender does not get it back.",
        output_type=PostedChatMessage,
    )
    async def handle_new_chat_message(self, message: NewChatMessage) -> None:
        posted = services.post_message(payload=message.payload)
        await self.broadcast_message(
            posted, [chat_room_group(self.room_name)], exclude_current=True
        )
