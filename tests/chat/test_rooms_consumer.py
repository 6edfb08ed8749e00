"""RoomsConsumer, ws/chat/: one connection following many rooms, on two channel layers."""

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, User

from chat import services
from chat.consumers import RoomsConsumer
from chat.messages import SUBSCRIPTIONS_MAX
from chat.models import StoredMessage
from chat.participants import Participant
from tests.support.chat import CHATTER, assert_nothing_pending, chat_frame, next_action, next_frame
from tests.support.credentials import session_headers
from tests.support.layers import OnRedisLayer
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

SEEDER = Participant(key="guest:seed", name="Seeder", guest=True)


def store_quietly(room: str, count: int) -> list[StoredMessage]:
    return [
        services.post_message(
            room_name=room,
            author=SEEDER,
            user=AnonymousUser(),
            body=f"{room} {n}",
            client_id=f"{room}-{n}",
        ).message
        for n in range(1, count + 1)
    ]


async def seed(room: str, count: int) -> None:
    """Store messages without broadcasting them, as if sent while nobody listened."""
    await database_sync_to_async(store_quietly)(room, count)


def in_room(room: str, frame: dict[str, Any]) -> dict[str, Any]:
    return {"action": "in_room", "payload": {"room": room, "frame": frame}}


async def next_in_room(
    communicator: DjangoWebsocketCommunicator, room: str, action: str
) -> dict[str, Any]:
    """The payload of the next frame of `room` that matters; it must be `action`."""
    while True:
        frame = await next_frame(communicator)
        assert frame["action"] == "in_room", frame
        inner = frame["payload"]["frame"]
        if inner["action"] in CHATTER:
            continue
        assert frame["payload"]["room"] == room, frame
        assert inner["action"] == action, frame
        payload: dict[str, Any] = inner["payload"]
        return payload


class RoomsConsumerBehaviour:
    """The one-connection contract; run once per channel layer by the classes below."""

    consumer = RoomsConsumer
    ws_path = "/ws/chat/"

    create_communicator: Any

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.alice = User.objects.create_user("alice", password="pw-alice-123")
        self.bob = User.objects.create_user("bob", password="pw-bob-123")
        self.stranger = User.objects.create_user("stranger", password="pw-stranger-123")

    async def connected(
        self, user: User | None = None
    ) -> tuple[DjangoWebsocketCommunicator, dict[str, Any]]:
        """A connection to all rooms, and the room list it was sent."""
        headers = await database_sync_to_async(session_headers)(user) if user else []
        communicator: DjangoWebsocketCommunicator = self.create_communicator(
            ws_path="/ws/chat/", headers=headers
        )
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        listed = await next_action(communicator, "room_list")
        return communicator, listed["payload"]

    async def following(
        self, rooms: dict[str, int | None], user: User | None = None
    ) -> DjangoWebsocketCommunicator:
        """Connected and subscribed to `rooms` from a fresh history page each, backlogs consumed."""
        communicator, _ = await self.connected(user)
        await communicator.send_json_to({"action": "subscribe", "payload": {"rooms": rooms}})
        for room in rooms:
            await next_in_room(communicator, room, "chat_history")
            await next_in_room(communicator, room, "presence_state")
        return communicator

    async def one_room(self, room: str, user: User | None = None) -> DjangoWebsocketCommunicator:
        """A connection to one room, ws/chat/{room}/, history and presence consumed."""
        headers = await database_sync_to_async(session_headers)(user) if user else []
        communicator: DjangoWebsocketCommunicator = self.create_communicator(
            ws_path=f"/ws/chat/{room}/", headers=headers
        )
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        await next_action(communicator, "chat_history")
        await next_action(communicator, "presence_state")
        return communicator

    # The room list

    async def test_the_room_list_has_public_rooms_then_the_users_private_and_direct_rooms(
        self,
    ) -> None:
        await seed("lobby", 3)
        await seed("quiet", 1)
        await database_sync_to_async(services.create_private_room)(
            owner=self.alice, name="team", member_usernames=["bob"]
        )
        await database_sync_to_async(services.direct_room)(user=self.alice, other_username="bob")

        _, listed = await self.connected(self.alice)

        rooms = [(r["name"], r["kind"], r["title"], r["last_seq"]) for r in listed["rooms"]]
        direct = f"dm-{min(self.alice.pk, self.bob.pk)}-{max(self.alice.pk, self.bob.pk)}"
        assert rooms == [
            ("lobby", "public", "lobby", 3),
            ("quiet", "public", "quiet", 1),
            (direct, "direct", "bob", 0),
            ("team", "private", "team", 0),
        ]
        team = listed["rooms"][3]
        assert (team["owner"], team["members"]) == ("alice", ["alice", "bob"])

    async def test_a_guest_is_listed_the_public_rooms_only(self) -> None:
        await seed("lobby", 1)
        await database_sync_to_async(services.create_private_room)(
            owner=self.alice, name="team", member_usernames=[]
        )

        _, listed = await self.connected()

        assert [r["name"] for r in listed["rooms"]] == ["lobby"]

    # Subscribing and delivery

    async def test_each_subscribed_room_sends_its_history_and_presence_inside_in_room(
        self,
    ) -> None:
        await seed("lobby", 2)
        await seed("games", 1)
        communicator, _ = await self.connected()

        await communicator.send_json_to(
            {"action": "subscribe", "payload": {"rooms": {"lobby": None, "games": None}}}
        )

        lobby = await next_in_room(communicator, "lobby", "chat_history")
        assert [m["message"] for m in lobby["messages"]] == ["lobby 1", "lobby 2"]
        assert (await next_in_room(communicator, "lobby", "presence_state"))["participants"]
        games = await next_in_room(communicator, "games", "chat_history")
        assert [m["message"] for m in games["messages"]] == ["games 1"]

    async def test_live_messages_of_every_followed_room_arrive_tagged_with_their_room(
        self,
    ) -> None:
        follower = await self.following({"lobby": None, "games": None})
        in_lobby, in_games = await self.one_room("lobby"), await self.one_room("games")

        await in_lobby.send_json_to(chat_frame("hi lobby", client_id="l1"))
        await in_games.send_json_to(chat_frame("hi games", client_id="g1"))

        lobby = await next_in_room(follower, "lobby", "new_chat_message")
        games = await next_in_room(follower, "games", "new_chat_message")
        assert (lobby["message"], lobby["seq"]) == ("hi lobby", 1)
        assert (games["message"], games["seq"]) == ("hi games", 1)

    async def test_a_post_through_the_one_connection_reaches_the_rooms_other_endpoint(
        self,
    ) -> None:
        follower = await self.following({"lobby": None})
        listener = await self.one_room("lobby")

        await follower.send_json_to(in_room("lobby", chat_frame("from the hub", client_id="h1")))

        accepted = await next_in_room(follower, "lobby", "message_accepted")
        assert (accepted["client_id"], accepted["seq"], accepted["duplicate"]) == ("h1", 1, False)
        heard = await next_action(listener, "new_chat_message")
        assert (heard["payload"]["message"], heard["payload"]["seq"]) == ("from the hub", 1)
        await assert_nothing_pending(follower)  # its own message is not echoed

    async def test_a_resend_through_the_one_connection_is_stored_once(self) -> None:
        follower = await self.following({"lobby": None})
        listener = await self.one_room("lobby")

        for _ in range(2):
            await follower.send_json_to(in_room("lobby", chat_frame("once", client_id="same")))
        first = await next_in_room(follower, "lobby", "message_accepted")
        second = await next_in_room(follower, "lobby", "message_accepted")

        assert (first["duplicate"], second["duplicate"], second["seq"]) == (False, True, 1)
        assert (await next_action(listener, "new_chat_message"))["payload"]["seq"] == 1
        await assert_nothing_pending(listener)

    async def test_one_cursor_resumes_every_room_exactly(self) -> None:
        await seed("lobby", 5)
        await seed("games", 2)
        await seed("quiet", 3)
        communicator, _ = await self.connected()

        cursor = {"lobby": 3, "games": 2, "quiet": None}
        await communicator.send_json_to({"action": "subscribe", "payload": {"rooms": cursor}})

        replayed = [
            (await next_in_room(communicator, "lobby", "new_chat_message"))["seq"] for _ in range(2)
        ]
        assert replayed == [4, 5]
        assert await next_in_room(communicator, "lobby", "chat_resumed") == {
            "replayed": 2,
            "last_seq": 5,
        }
        await next_in_room(communicator, "lobby", "presence_state")
        assert await next_in_room(communicator, "games", "chat_resumed") == {
            "replayed": 0,
            "last_seq": 2,
        }
        await next_in_room(communicator, "games", "presence_state")
        quiet = await next_in_room(communicator, "quiet", "chat_history")
        assert [m["seq"] for m in quiet["messages"]] == [1, 2, 3]

    async def test_live_messages_follow_a_resume_of_many_rooms_without_gap_or_duplicate(
        self,
    ) -> None:
        await seed("lobby", 2)
        await seed("games", 2)
        communicator, _ = await self.connected()
        poster = await self.following({"lobby": None, "games": None})

        await communicator.send_json_to(
            {"action": "subscribe", "payload": {"rooms": {"lobby": 1, "games": 1}}}
        )
        for n in range(3):
            for room in ("lobby", "games"):
                await poster.send_json_to(in_room(room, chat_frame(f"{room} live {n}")))

        seen: dict[str, list[int]] = {"lobby": [], "games": []}
        resumed: set[str] = set()
        while len(seen["lobby"]) < 4 or len(seen["games"]) < 4 or len(resumed) < 2:
            frame = await next_frame(communicator)
            inner = frame["payload"]["frame"]
            if inner["action"] == "new_chat_message":
                seen[frame["payload"]["room"]].append(inner["payload"]["seq"])
            elif inner["action"] == "chat_resumed":
                resumed.add(frame["payload"]["room"])
        assert seen == {"lobby": [2, 3, 4, 5], "games": [2, 3, 4, 5]}
        await assert_nothing_pending(communicator)

    async def test_a_private_room_is_refused_to_a_stranger_and_the_others_still_follow(
        self,
    ) -> None:
        await database_sync_to_async(services.create_private_room)(
            owner=self.alice, name="team", member_usernames=[]
        )
        communicator, _ = await self.connected(self.stranger)

        await communicator.send_json_to(
            {"action": "subscribe", "payload": {"rooms": {"team": None, "lobby": None}}}
        )

        refused = await next_action(communicator, "unsubscribed")
        assert refused["payload"]["room"] == "team"
        assert refused["payload"]["reason"] == "forbidden"
        await next_in_room(communicator, "lobby", "chat_history")

    async def test_a_private_room_asks_a_guest_to_log_in(self) -> None:
        await database_sync_to_async(services.create_private_room)(
            owner=self.alice, name="team", member_usernames=[]
        )
        communicator, _ = await self.connected()

        await communicator.send_json_to({"action": "subscribe", "payload": {"rooms": {"team": 0}}})

        refused = await next_action(communicator, "unsubscribed")
        assert (refused["payload"]["room"], refused["payload"]["reason"]) == (
            "team",
            "login_required",
        )

    async def test_an_unsubscribed_room_stops_delivering(self) -> None:
        follower = await self.following({"lobby": None, "games": None})
        poster = await self.following({"lobby": None, "games": None})

        await follower.send_json_to({"action": "unsubscribe", "payload": {"rooms": ["lobby"]}})
        assert (await next_action(follower, "unsubscribed"))["payload"]["reason"] == "requested"
        await poster.send_json_to(in_room("lobby", chat_frame("unheard")))
        await poster.send_json_to(in_room("games", chat_frame("heard")))

        heard = await next_in_room(follower, "games", "new_chat_message")
        assert heard["message"] == "heard"
        await assert_nothing_pending(follower)

    async def test_others_see_the_subscriber_come_online_in_the_room(self) -> None:
        watcher = await self.following({"lobby": None})
        communicator, _ = await self.connected(self.bob)

        await communicator.send_json_to(
            {"action": "subscribe", "payload": {"rooms": {"lobby": None}}}
        )

        joined = await next_frame(watcher, ignore=frozenset({"complete"}))
        assert joined["payload"]["room"] == "lobby"
        assert joined["payload"]["frame"]["action"] == "presence_joined"
        assert joined["payload"]["frame"]["payload"]["participant"]["name"] == "bob"

    # Membership, live

    async def test_being_added_to_a_room_lists_it_and_being_removed_unsubscribes_it(
        self,
    ) -> None:
        await database_sync_to_async(services.create_private_room)(
            owner=self.alice, name="team", member_usernames=[]
        )
        bob, _ = await self.connected(self.bob)

        await database_sync_to_async(services.add_member)(
            room_name="team", actor=self.alice, username="bob"
        )
        added = await next_action(bob, "room_added")
        assert (added["payload"]["name"], added["payload"]["members"]) == ("team", ["alice", "bob"])
        await bob.send_json_to({"action": "subscribe", "payload": {"rooms": {"team": None}}})
        await next_in_room(bob, "team", "chat_history")
        await next_in_room(bob, "team", "presence_state")
        await database_sync_to_async(services.remove_member)(
            room_name="team", actor=self.alice, username="bob"
        )

        dropped = await next_action(bob, "unsubscribed")
        assert (dropped["payload"]["room"], dropped["payload"]["reason"]) == ("team", "removed")
        assert (await next_action(bob, "room_removed"))["payload"] == {"room": "team"}
        await assert_nothing_pending(bob)

    async def test_a_new_direct_conversation_is_listed_for_both_under_the_others_name(
        self,
    ) -> None:
        bob, _ = await self.connected(self.bob)

        await database_sync_to_async(services.direct_room)(user=self.alice, other_username="bob")

        added = await next_action(bob, "room_added")
        assert (added["payload"]["kind"], added["payload"]["title"]) == ("direct", "alice")

    async def test_a_direct_message_in_a_room_not_followed_arrives_as_a_notice(self) -> None:
        room = await database_sync_to_async(services.direct_room)(
            user=self.alice, other_username="bob"
        )
        bob, _ = await self.connected(self.bob)
        alice = await self.one_room(room.name, self.alice)

        await alice.send_json_to(chat_frame("psst", name=None))

        notice = await next_action(bob, "direct_message")
        assert (notice["payload"]["room"], notice["payload"]["preview"]) == (room.name, "psst")

    # Bad input

    async def test_a_frame_for_a_room_not_followed_gets_an_error_and_the_connection_stays_up(
        self,
    ) -> None:
        communicator, _ = await self.connected()

        await communicator.send_json_to(in_room("lobby", chat_frame("lost?")))

        error = await next_action(communicator, "error")
        assert "Subscribe to 'lobby'" in error["payload"]["detail"]
        await assert_nothing_pending(communicator)

    async def test_an_invalid_room_name_in_a_cursor_gets_an_error_and_nothing_is_followed(
        self,
    ) -> None:
        communicator, _ = await self.connected()

        await communicator.send_json_to(
            {"action": "subscribe", "payload": {"rooms": {"lobby": None, "no spaces": None}}}
        )

        await next_action(communicator, "error")
        await assert_nothing_pending(communicator)

    async def test_more_rooms_than_allowed_are_refused_with_an_error(self) -> None:
        communicator, _ = await self.connected()
        rooms = {f"room{n}": None for n in range(SUBSCRIPTIONS_MAX + 1)}

        await communicator.send_json_to({"action": "subscribe", "payload": {"rooms": rooms}})

        await next_action(communicator, "error")
        await assert_nothing_pending(communicator)

    async def test_a_negative_last_seq_gets_an_error(self) -> None:
        communicator, _ = await self.connected()

        await communicator.send_json_to(
            {"action": "subscribe", "payload": {"rooms": {"lobby": -1}}}
        )

        await next_action(communicator, "error")
        await assert_nothing_pending(communicator)


class TestRoomsConsumerOnInMemoryLayer(RoomsConsumerBehaviour, WebsocketTestCase):
    pass


class TestRoomsConsumerOnRedisPubSubLayer(OnRedisLayer, RoomsConsumerBehaviour, WebsocketTestCase):
    layer_kind = "pubsub"
