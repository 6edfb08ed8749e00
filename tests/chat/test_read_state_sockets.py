"""Read state over the sockets: every tab agrees, members see receipts, rooms count unread."""

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from chat import services
from chat.consumers import ChatConsumer
from chat.participants import Participant
from tests.support.chat import CHATTER, READ_STATE, assert_nothing_pending, chat_frame, next_action
from tests.support.credentials import session_headers
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

# These tests are about the frames the others look past.
QUIET = CHATTER - READ_STATE


class TestReadState(WebsocketTestCase):
    consumer = ChatConsumer
    ws_path = "/ws/chat/lobby/"

    def setUp(self) -> None:
        super().setUp()
        self.alice = User.objects.create_user("alice", password="pw-alice-123")
        self.bob = User.objects.create_user("bob", password="pw-bob-123")

    async def in_room(self, user: User | None, room: str = "lobby") -> DjangoWebsocketCommunicator:
        """A connection to `room` alone, past its greeting."""
        headers = await database_sync_to_async(session_headers)(user) if user else []
        communicator = self.create_communicator(ws_path=f"/ws/chat/{room}/", headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        while (await communicator.receive_json_from())["action"] != "presence_state":
            pass
        return communicator

    async def to_all_rooms(self, user: User) -> tuple[DjangoWebsocketCommunicator, list[Any]]:
        """A connection to all of `user`'s rooms, and its room list."""
        headers = await database_sync_to_async(session_headers)(user)
        communicator = self.create_communicator(ws_path="/ws/chat/", headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        listed = await next_action(communicator, "room_list", ignore=QUIET)
        return communicator, listed["payload"]["rooms"]

    async def post(self, room: str, by: User, count: int = 1) -> None:
        for n in range(count):
            await database_sync_to_async(services.post_message)(
                room_name=room,
                author=Participant(
                    key=f"user:{by.pk}", name=by.username, guest=False, user_id=by.pk
                ),
                user=by,
                body=f"message {n}",
                client_id=f"{room}-{by.pk}-{n}",
            )

    async def test_a_room_tells_a_signed_in_user_where_they_stopped_before_its_history(
        self,
    ) -> None:
        await self.post("lobby", self.bob, 3)
        await database_sync_to_async(services.mark_read)(room_name="lobby", user=self.alice, seq=1)
        communicator = self.create_communicator(
            headers=await database_sync_to_async(session_headers)(self.alice)
        )
        await communicator.connect()
        await communicator.assert_authenticated_status_ok()

        first = await next_action(communicator, "read_state", ignore=QUIET)
        await next_action(communicator, "chat_history", ignore=QUIET)

        assert first["payload"] == {"room": "lobby", "last_read_seq": 1, "unread": 2, "mentions": 0}

    async def test_reading_in_one_tab_moves_the_read_state_of_every_tab(self) -> None:
        await self.post("lobby", self.bob, 3)
        reading = await self.in_room(self.alice)
        other_tab = await self.in_room(self.alice)
        all_rooms, _ = await self.to_all_rooms(self.alice)

        await reading.send_json_to({"action": "mark_read", "payload": {"seq": 3}})

        expected = {"room": "lobby", "last_read_seq": 3, "unread": 0, "mentions": 0}
        for tab in (reading, other_tab, all_rooms):
            assert (await next_action(tab, "read_state", ignore=QUIET))["payload"] == expected

    async def test_the_room_list_counts_what_arrives_in_a_room_not_followed(self) -> None:
        await database_sync_to_async(services.create_private_room)(
            owner=self.bob, name="team", member_usernames=["alice"]
        )
        all_rooms, listed = await self.to_all_rooms(self.alice)
        bobs_rooms, _ = await self.to_all_rooms(self.bob)
        bob = await self.in_room(self.bob, "team")
        assert [(r["name"], r["unread"]) for r in listed] == [("team", 0)]

        await bob.send_json_to(chat_frame("news", name=None))
        await next_action(bob, "message_accepted", ignore=QUIET)

        activity = await next_action(all_rooms, "room_activity", ignore=QUIET)
        assert activity["payload"] == {"room": "team", "seq": 1, "name": "bob", "preview": "news"}
        await assert_nothing_pending(bobs_rooms, ignore=QUIET)  # not of their own message

    async def test_a_direct_conversation_shows_who_has_seen_what(self) -> None:
        room = await database_sync_to_async(services.direct_room)(
            user=self.alice, other_username="bob"
        )
        await self.post(room.name, self.alice, 2)
        alice = await self.in_room(self.alice, room.name)
        bob = await self.in_room(self.bob, room.name)

        await bob.send_json_to({"action": "mark_read", "payload": {"seq": 2}})

        receipt = await next_action(alice, "read_receipt", ignore=QUIET)
        assert receipt["payload"] == {"user": "bob", "last_read_seq": 2}
        later = self.create_communicator(
            ws_path=f"/ws/chat/{room.name}/",
            headers=await database_sync_to_async(session_headers)(self.alice),
        )
        await later.connect()
        await later.assert_authenticated_status_ok()
        receipts = await next_action(
            later, "read_receipts", ignore=QUIET | {"read_state", "chat_history"}
        )
        assert receipts["payload"] == {"readers": [{"user": "bob", "last_read_seq": 2}]}

    async def test_a_public_room_has_no_receipts(self) -> None:
        await self.post("lobby", self.bob, 1)
        alice = await self.in_room(self.alice)
        bob = await self.in_room(self.bob)

        await bob.send_json_to({"action": "mark_read", "payload": {"seq": 1}})
        await next_action(bob, "read_state", ignore=QUIET)

        await assert_nothing_pending(alice)

    async def test_a_bad_seq_or_a_guest_gets_an_error_and_stays_connected(self) -> None:
        await self.post("lobby", self.bob, 1)
        alice = await self.in_room(self.alice)
        guest = await self.in_room(None)

        await alice.send_json_to({"action": "mark_read", "payload": {"seq": 9}})
        await guest.send_json_to({"action": "mark_read", "payload": {"seq": 1}})

        beyond = await next_action(alice, "error", ignore=QUIET)
        assert beyond["payload"] == {"detail": "The room's newest message is 1; 9 is beyond it."}
        signed_out = await next_action(guest, "error", ignore=QUIET)
        assert signed_out["payload"] == {"detail": "Log in to keep your place in rooms."}
        await alice.send_json_to({"action": "mark_read", "payload": {"seq": -1}})
        negative = await next_action(alice, "error", ignore=QUIET)
        assert negative["payload"][0]["loc"][-1] == "seq"
        await assert_nothing_pending(alice)
        await assert_nothing_pending(guest)

    async def test_marking_read_through_the_connection_to_all_rooms(self) -> None:
        await self.post("lobby", self.bob, 2)
        all_rooms, _ = await self.to_all_rooms(self.alice)
        await all_rooms.send_json_to({"action": "subscribe", "payload": {"rooms": {"lobby": 0}}})
        backlog = QUIET | {"new_chat_message", "chat_resumed"}
        followed = await next_action(all_rooms, "in_room", ignore=backlog)
        assert followed["payload"]["frame"]["action"] == "presence_state"

        mark = {"action": "mark_read", "payload": {"seq": 5}}
        await all_rooms.send_json_to(
            {"action": "in_room", "payload": {"room": "lobby", "frame": mark}}
        )
        error = await next_action(all_rooms, "error", ignore=backlog)
        assert error["payload"] == {
            "detail": "The room's newest message is 2; 5 is beyond it.",
            "room": "lobby",
        }
        mark["payload"] = {"seq": 2}
        await all_rooms.send_json_to(
            {"action": "in_room", "payload": {"room": "lobby", "frame": mark}}
        )

        state = await next_action(all_rooms, "read_state", ignore=backlog)
        assert state["payload"] == {"room": "lobby", "last_read_seq": 2, "unread": 0, "mentions": 0}
