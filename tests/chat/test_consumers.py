"""ChatConsumer through the whole WebSocket stack, on the in-memory and the Redis layer."""

from typing import Any

from channels.layers import get_channel_layer
from chanx.channels.testing import DjangoWebsocketCommunicator, WebsocketTestCase
from django.test import override_settings

from chat.consumers import ChatConsumer
from chat.messages import MESSAGE_MAX_LENGTH
from chat.rooms import ROOM_NAME_RULE
from tests.support.services import redis_test_layer, require_redis


def chat_frame(message: str, name: str = "Alice") -> dict[str, Any]:
    return {"action": "new_chat_message", "payload": {"message": message, "name": name}}


class ChatConsumerBehaviour:
    """The chat contract; run once per channel layer by the classes below."""

    consumer = ChatConsumer
    ws_path = "/ws/chat/lobby/"

    create_communicator: Any

    async def joined(self, room: str = "lobby") -> DjangoWebsocketCommunicator:
        communicator: DjangoWebsocketCommunicator = self.create_communicator(
            ws_path=f"/ws/chat/{room}/"
        )
        connected, _ = await communicator.connect()
        assert connected
        await communicator.assert_authenticated_status_ok()
        return communicator

    async def assert_next_frame_is_pong(self, communicator: DjangoWebsocketCommunicator) -> None:
        """Ping, then expect pong first: proves nothing else was queued for this client."""
        await communicator.send_json_to({"action": "ping"})
        assert await communicator.receive_json_from() == {"action": "pong", "payload": None}
        assert (await communicator.receive_json_from())["action"] == "complete"

    async def test_a_posted_message_reaches_everyone_else_in_the_room(self) -> None:
        alice, bob, carol = await self.joined(), await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("hello room"))

        for member in (bob, carol):
            frame = await member.receive_json_from()
            assert frame["action"] == "new_chat_message"
            assert frame["payload"]["message"] == "hello room"
            assert frame["payload"]["name"] == "Alice"
            assert {"id", "sent_at"} <= frame["payload"].keys()
        assert (await alice.receive_json_from())["action"] == "complete"

    async def test_the_sender_does_not_get_its_own_message_back(self) -> None:
        alice, bob = await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("just for bob"))
        assert (await bob.receive_json_from())["payload"]["message"] == "just for bob"

        assert (await alice.receive_json_from())["action"] == "complete"
        await self.assert_next_frame_is_pong(alice)

    async def test_rooms_are_isolated(self) -> None:
        alice, bob = await self.joined("lobby"), await self.joined("lobby")
        outsider = await self.joined("elsewhere")

        await alice.send_json_to(chat_frame("lobby only"))
        assert (await bob.receive_json_from())["payload"]["message"] == "lobby only"

        await self.assert_next_frame_is_pong(outsider)

    async def test_ping_is_answered_with_pong(self) -> None:
        await self.assert_next_frame_is_pong(await self.joined())

    async def test_an_invalid_room_name_is_refused_with_the_rule(self) -> None:
        communicator = self.create_communicator(ws_path="/ws/chat/not%20a%20room!/")
        await communicator.connect()

        auth = await communicator.wait_for_auth()

        assert auth is not None
        assert auth.payload.status_code == 403
        assert auth.payload.data == {"detail": ROOM_NAME_RULE}
        await communicator.assert_closed(4403)

    async def test_an_oversized_message_gets_an_error_and_the_connection_stays_up(self) -> None:
        alice, bob = await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("x" * (MESSAGE_MAX_LENGTH + 1)))

        error = await alice.receive_json_from()
        assert error["action"] == "error"
        assert error["payload"][0]["type"] == "string_too_long"
        assert error["payload"][0]["loc"] == ["new_chat_message", "payload", "message"]
        assert (await alice.receive_json_from())["action"] == "complete"
        await self.assert_next_frame_is_pong(alice)
        await self.assert_next_frame_is_pong(bob)

    async def test_an_unknown_action_gets_an_error_naming_the_known_ones(self) -> None:
        alice = await self.joined()

        await alice.send_json_to({"action": "shout", "payload": {}})

        error = await alice.receive_json_from()
        assert error["action"] == "error"
        assert error["payload"][0]["type"] == "union_tag_invalid"
        assert "'new_chat_message', 'ping'" in error["payload"][0]["msg"]
        assert (await alice.receive_json_from())["action"] == "complete"
        await self.assert_next_frame_is_pong(alice)

    async def test_fields_the_server_sets_cannot_be_sent_by_a_client(self) -> None:
        alice, bob = await self.joined(), await self.joined()
        frame = chat_frame("forged")
        frame["payload"]["sent_at"] = "2000-01-01T00:00:00Z"

        await alice.send_json_to(frame)

        error = await alice.receive_json_from()
        assert error["payload"][0]["type"] == "extra_forbidden"
        assert (await alice.receive_json_from())["action"] == "complete"
        await self.assert_next_frame_is_pong(bob)

    async def test_a_blank_message_is_rejected(self) -> None:
        alice = await self.joined()

        await alice.send_json_to(chat_frame("   "))

        error = await alice.receive_json_from()
        assert error["payload"][0]["type"] == "string_too_short"


class TestChatConsumerOnInMemoryLayer(ChatConsumerBehaviour, WebsocketTestCase):
    pass


class TestChatConsumerOnRedisLayer(ChatConsumerBehaviour, WebsocketTestCase):
    def setUp(self) -> None:
        require_redis()
        self.layer_settings = override_settings(CHANNEL_LAYERS=redis_test_layer())
        self.layer_settings.enable()
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        layer = get_channel_layer()
        assert layer is not None
        from asgiref.sync import async_to_sync

        async_to_sync(layer.flush)()
        self.layer_settings.disable()

    async def test_the_layer_in_use_is_redis(self) -> None:
        assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
