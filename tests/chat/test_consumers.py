"""ChatConsumer through the whole WebSocket stack, on the in-memory and the Redis layer."""

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser, User
from django.test import override_settings

from chat import services
from chat.consumers import ChatConsumer
from chat.messages import MESSAGE_MAX_LENGTH
from chat.models import Message, StoredMessage
from chat.participants import Participant
from chat.rooms import ROOM_NAME_RULE
from core.groups import chat_room_group
from core.immediate import IMMEDIATE_SEND
from core.layers import drops_when_full
from tests.support.chat import (
    assert_nothing_pending,
    chat_frame,
    next_action,
    next_frame,
)
from tests.support.credentials import session_headers, token_headers
from tests.support.layers import OnRedisLayer
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

GUEST = Participant(key="guest:seed", name="Seeder", guest=True)


def store_quietly(room: str, count: int) -> list[StoredMessage]:
    return [
        services.post_message(
            room_name=room, author=GUEST, user=AnonymousUser(), body=f"m{n}", client_id=f"seed-{n}"
        ).message
        for n in range(1, count + 1)
    ]


async def seed(room: str, count: int) -> list[StoredMessage]:
    """Store messages without broadcasting them, as if sent while nobody listened."""
    messages: list[StoredMessage] = await database_sync_to_async(store_quietly)(room, count)
    return messages


class ChatConsumerBehaviour:
    """The chat contract; run once per channel layer by the classes below."""

    consumer = ChatConsumer
    ws_path = "/ws/chat/lobby/"

    create_communicator: Any

    async def connected(
        self,
        room: str = "lobby",
        *,
        query: str = "",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> DjangoWebsocketCommunicator:
        path = f"/ws/chat/{room}/" + (f"?{query}" if query else "")
        communicator: DjangoWebsocketCommunicator = self.create_communicator(
            ws_path=path, headers=headers
        )
        connected, _ = await communicator.connect()
        assert connected
        await communicator.assert_authenticated_status_ok()
        return communicator

    async def joined(self, room: str = "lobby", **kwargs: Any) -> DjangoWebsocketCommunicator:
        """Connected, with the history page and the presence snapshot consumed."""
        communicator = await self.connected(room, **kwargs)
        await next_action(communicator, "chat_history")
        await next_action(communicator, "presence_state")
        return communicator

    # Posting

    async def test_a_posted_message_reaches_everyone_else_in_the_room(self) -> None:
        alice, bob, carol = await self.joined(), await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("hello room", client_id="c1"))

        for member in (bob, carol):
            frame = await next_action(member, "new_chat_message")
            assert frame["payload"]["message"] == "hello room"
            assert frame["payload"]["name"] == "Alice"
            assert frame["payload"]["guest"] is True
            assert frame["payload"]["seq"] == 1
            assert frame["payload"]["client_id"] == "c1"

    async def test_the_sender_gets_an_acknowledgement_not_its_own_message(self) -> None:
        alice, bob = await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("just for bob", client_id="c1"))
        accepted = await next_action(alice, "message_accepted")
        await next_action(bob, "new_chat_message")

        assert accepted["payload"]["client_id"] == "c1"
        assert accepted["payload"]["seq"] == 1
        assert accepted["payload"]["duplicate"] is False
        await assert_nothing_pending(alice)

    async def test_seqs_increase_by_one_per_message(self) -> None:
        alice, bob = await self.joined(), await self.joined()

        for n in range(3):
            await alice.send_json_to(chat_frame(f"m{n}"))

        seqs = [(await next_action(bob, "new_chat_message"))["payload"]["seq"] for _ in range(3)]
        assert seqs == [1, 2, 3]

    async def test_resending_a_client_id_stores_and_delivers_the_message_once(self) -> None:
        alice, bob = await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("once", client_id="same"))
        first = await next_action(alice, "message_accepted")
        await alice.send_json_to(chat_frame("once", client_id="same"))
        second = await next_action(alice, "message_accepted")

        assert second["payload"] == {**first["payload"], "duplicate": True}
        assert (await next_action(bob, "new_chat_message"))["payload"]["seq"] == 1
        await assert_nothing_pending(bob)
        assert await Message.objects.filter(client_id="same").acount() == 1

    async def test_rooms_are_isolated(self) -> None:
        alice, bob = await self.joined("lobby"), await self.joined("lobby")
        outsider = await self.joined("elsewhere")

        await alice.send_json_to(chat_frame("lobby only"))
        assert (await next_action(bob, "new_chat_message"))["payload"]["message"] == "lobby only"

        await assert_nothing_pending(outsider)

    async def test_ping_is_answered_with_pong(self) -> None:
        await assert_nothing_pending(await self.joined())

    # History and resume

    async def test_joining_sends_the_latest_page_of_history_newest_last(self) -> None:
        await seed("lobby", 60)

        client = await self.connected()
        history = await next_action(client, "chat_history")

        seqs = [m["seq"] for m in history["payload"]["messages"]]
        assert seqs == list(range(11, 61))
        assert history["payload"]["has_more"] is True

    async def test_older_history_is_loaded_page_by_page(self) -> None:
        await seed("lobby", 60)
        client = await self.joined()

        await client.send_json_to({"action": "load_history", "payload": {"before_seq": 11}})
        page = await next_action(client, "chat_history")

        assert [m["seq"] for m in page["payload"]["messages"]] == list(range(1, 11))
        assert page["payload"]["has_more"] is False

    async def test_a_reconnect_with_last_seq_replays_exactly_what_was_missed(self) -> None:
        await seed("lobby", 8)

        client = await self.connected(query="last_seq=5")
        replayed = [await next_frame(client) for _ in range(3)]
        resumed = await next_action(client, "chat_resumed")

        assert [f["payload"]["seq"] for f in replayed] == [6, 7, 8]
        assert {f["action"] for f in replayed} == {"new_chat_message"}
        assert resumed["payload"] == {"replayed": 3, "last_seq": 8}
        await next_action(client, "presence_state")

    async def test_live_messages_follow_a_resume_without_gap_or_duplicate(self) -> None:
        await seed("lobby", 2)
        sender = await self.joined()
        client = await self.connected(query="last_seq=1")
        await next_action(client, "new_chat_message")
        await next_action(client, "chat_resumed")

        await sender.send_json_to(chat_frame("live"))

        live = await next_action(
            client,
            "new_chat_message",
            ignore=frozenset({"presence_state", "complete", "presence_joined"}),
        )
        assert live["payload"]["seq"] == 3
        await assert_nothing_pending(client)

    async def test_a_client_too_far_behind_is_told_to_resync_and_gets_fresh_history(self) -> None:
        await seed("lobby", 5)

        with override_settings(CHAT_RESUME_LIMIT=2):
            client = await self.connected(query="last_seq=1")

        resync = await next_action(client, "resync_required")
        history = await next_action(client, "chat_history")
        assert resync["payload"] == {"reason": "too_far_behind", "last_seq": 5}
        assert [m["seq"] for m in history["payload"]["messages"]] == [1, 2, 3, 4, 5]

    async def test_a_last_seq_the_room_never_reached_is_told_to_resync(self) -> None:
        await seed("lobby", 2)

        client = await self.connected(query="last_seq=99")

        resync = await next_action(client, "resync_required")
        assert resync["payload"] == {"reason": "unknown_seq", "last_seq": 2}

    async def test_a_malformed_last_seq_gets_an_error_and_the_normal_history(self) -> None:
        client = await self.connected(query="last_seq=abc")

        error = await next_action(client, "error")
        assert error["payload"] == {"detail": "last_seq must be a non-negative integer."}
        await next_action(client, "chat_history")

    async def test_a_broadcast_lost_by_the_layer_is_recovered_from_the_database(self) -> None:
        alice, bob = await self.joined(), await self.joined()
        await seed("lobby", 1)  # stored, but its broadcast never happened

        await alice.send_json_to(chat_frame("second"))

        first, second = await next_frame(bob), await next_frame(bob)
        assert [first["payload"]["seq"], second["payload"]["seq"]] == [1, 2]
        assert [first["payload"]["message"], second["payload"]["message"]] == ["m1", "second"]

    @override_settings(CHAT_TAIL_CHECK=0.05)
    async def test_the_end_of_a_burst_lost_by_the_layer_arrives_once_the_room_is_quiet(
        self,
    ) -> None:
        alice, bob = await self.joined(), await self.joined()
        await alice.send_json_to(chat_frame("first"))
        assert (await next_frame(bob))["payload"]["seq"] == 1

        await seed("lobby", 2)  # stored, but their broadcasts were dropped: nothing follows

        tail = [await next_frame(bob), await next_frame(bob)]
        assert [frame["payload"]["seq"] for frame in tail] == [2, 3]
        await assert_nothing_pending(bob)

    async def test_broadcasts_arriving_out_of_order_are_delivered_in_order_once(self) -> None:
        bob = await self.joined()
        stored = await seed("lobby", 2)
        layer = get_channel_layer()
        assert layer is not None
        from chat.notifications import message_frame

        for message in reversed(stored):  # seq 2 first, then seq 1
            await layer.group_send(
                chat_room_group("lobby"),
                {
                    "type": "chat.message",
                    "seq": message.seq,
                    "client_id": message.client_id,
                    "frame": message_frame(message),
                },
            )

        assert (await next_frame(bob))["payload"]["seq"] == 1
        assert (await next_frame(bob))["payload"]["seq"] == 2
        await assert_nothing_pending(bob)

    # Bad input

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

        error = await next_action(alice, "error")
        assert error["payload"][0]["type"] == "string_too_long"
        assert error["payload"][0]["loc"] == ["new_chat_message", "payload", "message"]
        await assert_nothing_pending(alice)
        await assert_nothing_pending(bob)

    async def test_an_unknown_action_gets_an_error_naming_the_known_ones(self) -> None:
        alice = await self.joined()

        await alice.send_json_to({"action": "shout", "payload": {}})

        error = await next_action(alice, "error")
        assert error["payload"][0]["type"] == "union_tag_invalid"
        assert "'new_chat_message'" in error["payload"][0]["msg"]
        await assert_nothing_pending(alice)

    async def test_fields_the_server_sets_cannot_be_sent_by_a_client(self) -> None:
        alice, bob = await self.joined(), await self.joined()

        await alice.send_json_to(chat_frame("forged", seq=7))

        error = await next_action(alice, "error")
        assert error["payload"][0]["type"] == "extra_forbidden"
        await assert_nothing_pending(bob)

    async def test_a_blank_message_is_rejected(self) -> None:
        alice = await self.joined()

        await alice.send_json_to(chat_frame("   "))

        error = await next_action(alice, "error")
        assert "A message needs text or an attachment." in error["payload"][0]["msg"]

    # Accounts

    async def test_a_signed_in_user_speaks_under_their_username_whatever_name_they_send(
        self,
    ) -> None:
        alice = await self.joined(headers=self.alice_headers)
        bob = await self.joined()

        await alice.send_json_to(chat_frame("it is me", name="Mallory"))

        frame = await next_action(bob, "new_chat_message")
        assert frame["payload"]["name"] == "alice"
        assert frame["payload"]["guest"] is False

    async def test_a_client_may_authenticate_with_a_token_header(self) -> None:
        client = await self.connected(headers=self.alice_token)
        await next_action(client, "chat_history")

        snapshot = await next_action(client, "presence_state")

        assert snapshot["payload"]["participants"] == [
            {"key": f"user:{self.alice.pk}", "name": "alice", "guest": False}
        ]

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.alice = User.objects.create_user("alice", password="pw-alice-123")
        self.alice_headers = session_headers(self.alice)
        self.alice_token = token_headers(self.alice)


class TestChatConsumerOnInMemoryLayer(ChatConsumerBehaviour, WebsocketTestCase):
    pass


class TestChatConsumerOnRedisLayer(OnRedisLayer, ChatConsumerBehaviour, WebsocketTestCase):
    async def test_the_layer_in_use_is_redis(self) -> None:
        assert type(get_channel_layer()).__name__ == "RedisChannelLayer"


class ImmediateToCommunicator:
    """core.immediate.ImmediateSend for a test communicator: frames go where `send` puts them."""

    def __init__(self, communicator: DjangoWebsocketCommunicator) -> None:
        self.output = communicator.output_queue
        self.taken: list[tuple[str, str]] = []  # (action, the coroutine of the task that sent it)
        self.writable = True  # False: as a socket whose buffer is over its high-water mark

    def ready(self) -> bool:
        return self.writable

    def send_text(self, text: str) -> None:
        task = asyncio.current_task()
        sender = task.get_coro().__qualname__ if task is not None else ""  # type: ignore[union-attr]
        self.taken.append((json.loads(text)["action"], sender))
        self.output.put_nowait({"type": "websocket.send", "text": text})

    def sent(self, action: str) -> int:
        return sum(taken == action for taken, _ in self.taken)

    def sent_by_the_layer(self, action: str) -> int:
        """Frames of `action` the channel layer's receiving task wrote."""
        return sum(
            taken == action and sender.endswith("._do_receiving") for taken, sender in self.taken
        )


class TestChatConsumerOnPubSubLayerSendingImmediately(TestChatConsumerOnRedisLayer):
    """The whole contract again, room events taken by the layer's task (see core.immediate)."""

    layer_kind = "pubsub"

    def create_communicator(self, **kwargs: Any) -> DjangoWebsocketCommunicator:
        communicator: DjangoWebsocketCommunicator = super().create_communicator(**kwargs)
        communicator.scope["extensions"] = {IMMEDIATE_SEND: ImmediateToCommunicator(communicator)}
        return communicator

    async def test_the_layer_in_use_is_redis(self) -> None:
        assert type(get_channel_layer()).__name__ == "PubSubChannelLayer"

    async def test_the_end_of_a_burst_lost_by_the_layer_arrives_once_the_room_is_quiet(
        self,
    ) -> None:
        """This layer loses no burst's end (it has no channel capacity): nothing to check."""
        assert not drops_when_full(get_channel_layer())

    async def test_room_messages_and_events_are_sent_by_the_layers_task(self) -> None:
        alice, bob = await self.joined(), await self.joined()
        immediate = bob.scope["extensions"][IMMEDIATE_SEND]

        await alice.send_json_to(chat_frame("hello"))
        received = await next_action(bob, "new_chat_message")
        await alice.send_json_to({"action": "typing"})
        await next_action(bob, "user_typing", ignore=frozenset({"presence_joined"}))

        assert received["payload"]["message"] == "hello"
        assert immediate.sent_by_the_layer("new_chat_message") == 1
        assert immediate.sent_by_the_layer("user_typing") == 1

    async def test_a_reply_is_written_at_once_while_the_socket_takes_it_else_sent_as_usual(
        self,
    ) -> None:
        alice = await self.joined()
        immediate = alice.scope["extensions"][IMMEDIATE_SEND]

        await alice.send_json_to({"action": "ping"})
        await next_action(alice, "pong")
        immediate.writable = False
        await alice.send_json_to({"action": "ping"})
        await next_action(alice, "pong")

        assert immediate.sent("pong") == 1

    async def test_while_the_socket_is_not_ready_events_go_the_usual_way_and_keep_their_order(
        self,
    ) -> None:
        alice, bob = await self.joined(), await self.joined()
        immediate = bob.scope["extensions"][IMMEDIATE_SEND]

        immediate.writable = False
        for text in ("one", "two"):
            await alice.send_json_to(chat_frame(text))
        queued = [await next_action(bob, "new_chat_message") for _ in range(2)]
        immediate.writable = True
        await alice.send_json_to(chat_frame("three"))
        taken = await next_action(bob, "new_chat_message")

        messages = [frame["payload"]["message"] for frame in [*queued, taken]]
        assert messages == ["one", "two", "three"]
        assert immediate.sent("new_chat_message") == 1
