"""Edits and deletions over the sockets: every member gets them in the stream's order."""

from typing import Any

from channels.db import database_sync_to_async
from chanx.channels.testing import DjangoWebsocketCommunicator, WebsocketTestCase
from django.contrib.auth.models import User

from chat import services
from chat.consumers import ChatConsumer
from chat.participants import Participant
from tests.support.chat import assert_nothing_pending, next_action
from tests.support.credentials import session_headers


class TestMessageChanges(WebsocketTestCase):
    consumer = ChatConsumer
    ws_path = "/ws/chat/lobby/"

    def setUp(self) -> None:
        super().setUp()
        self.ann = User.objects.create_user("ann", password="pw-ann-123")
        self.ben = User.objects.create_user("ben", password="pw-ben-123")

    async def post(self, by: User, body: str) -> int:
        posted = await database_sync_to_async(services.post_message)(
            room_name="lobby",
            author=Participant(key=f"user:{by.pk}", name=by.username, guest=False, user_id=by.pk),
            user=by,
            body=body,
            client_id=f"{by.pk}-{body}",
        )
        return int(posted.message.seq)

    async def in_room(
        self, user: User, last_seq: int | None = None
    ) -> tuple[DjangoWebsocketCommunicator, list[dict[str, Any]]]:
        """A connection to the lobby, and its backlog: the room's frames before presence."""
        query = "" if last_seq is None else f"?last_seq={last_seq}"
        communicator = self.create_communicator(
            ws_path=f"/ws/chat/lobby/{query}",
            headers=await database_sync_to_async(session_headers)(user),
        )
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        backlog = []
        while (frame := await communicator.receive_json_from())["action"] != "presence_state":
            if frame["action"] != "read_state":
                backlog.append(frame)
        return communicator, backlog

    async def test_an_edit_reaches_everyone_in_the_room_the_editor_too(self) -> None:
        seq = await self.post(self.ann, "helo")
        ann, _ = await self.in_room(self.ann)
        ben, _ = await self.in_room(self.ben)

        await ann.send_json_to(
            {"action": "edit_message", "payload": {"seq": seq, "message": "hello"}}
        )

        for member in (ann, ben):
            edited = (await next_action(member, "message_edited"))["payload"]
            assert (edited["seq"], edited["target_seq"], edited["message"]) == (2, 1, "hello")
            assert edited["name"] == "ann"

    async def test_a_client_that_resumes_gets_the_changes_it_missed_in_order(self) -> None:
        first = await self.post(self.ann, "one")
        await database_sync_to_async(services.edit_message)(
            room_name="lobby", user=self.ann, seq=first, body="one, edited", client_id="e1"
        )
        await database_sync_to_async(services.delete_message)(
            room_name="lobby", user=self.ann, seq=first, client_id="d1"
        )

        _, backlog = await self.in_room(self.ben, last_seq=0)

        assert [(f["action"], f["payload"].get("seq")) for f in backlog] == [
            ("new_chat_message", 1),
            ("message_edited", 2),
            ("message_deleted", 3),
            ("chat_resumed", None),
        ]
        assert backlog[0]["payload"]["deleted"] is True  # the message as it is now
        assert backlog[-1]["payload"] == {"replayed": 3, "last_seq": 3}

    async def test_a_history_page_shows_messages_as_they_are_and_where_to_resume(self) -> None:
        first = await self.post(self.ann, "helo")
        await self.post(self.ben, "hi")
        await database_sync_to_async(services.edit_message)(
            room_name="lobby", user=self.ann, seq=first, body="hello", client_id="e1"
        )

        _, (page,) = await self.in_room(self.ben)

        assert page["action"] == "chat_history"
        shown = [
            (m["seq"], m["message"], m["edited_at"] is not None)
            for m in page["payload"]["messages"]
        ]
        assert shown == [(1, "hello", True), (2, "hi", False)]
        assert page["payload"]["last_seq"] == 3

    async def test_a_refused_change_is_an_error_and_the_connection_stays(self) -> None:
        seq = await self.post(self.ann, "mine")
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to({"action": "edit_message", "payload": {"seq": seq, "message": "x"}})
        error = await next_action(ben, "error")
        await ben.send_json_to({"action": "delete_message", "payload": {"seq": seq}})
        refused = await next_action(ben, "error")

        assert error["payload"] == {"detail": "You can edit only your own messages."}
        assert refused["payload"] == {
            "detail": "Only its author or a moderator of the room may delete a message."
        }
        await assert_nothing_pending(ben)

    async def test_a_change_through_the_connection_to_all_rooms(self) -> None:
        seq = await self.post(self.ann, "typo")
        headers = await database_sync_to_async(session_headers)(self.ann)
        everywhere = self.create_communicator(ws_path="/ws/chat/", headers=headers)
        assert (await everywhere.connect())[0]
        await everywhere.assert_authenticated_status_ok()
        await next_action(everywhere, "room_list")
        await everywhere.send_json_to({"action": "subscribe", "payload": {"rooms": {"lobby": 1}}})
        while (await next_action(everywhere, "in_room"))["payload"]["frame"]["action"] != (
            "presence_state"
        ):
            pass

        delete = {"action": "delete_message", "payload": {"seq": seq}}
        await everywhere.send_json_to(
            {"action": "in_room", "payload": {"room": "lobby", "frame": delete}}
        )

        frame = (await next_action(everywhere, "in_room"))["payload"]
        assert frame["room"] == "lobby"
        assert frame["frame"]["action"] == "message_deleted"
        assert (frame["frame"]["payload"]["seq"], frame["frame"]["payload"]["target_seq"]) == (2, 1)
