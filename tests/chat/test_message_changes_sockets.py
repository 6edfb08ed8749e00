"""Edits and deletions over the sockets: every member gets them in the stream's order."""

from channels.db import database_sync_to_async

from chat import services
from tests.support.chat import LobbyTestCase, assert_nothing_pending, next_action


class TestMessageChanges(LobbyTestCase):
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
        everywhere = await self.following_the_lobby(self.ann, last_seq=1)

        delete = {"action": "delete_message", "payload": {"seq": seq}}
        await everywhere.send_json_to(
            {"action": "in_room", "payload": {"room": "lobby", "frame": delete}}
        )

        frame = (await next_action(everywhere, "in_room"))["payload"]
        assert frame["room"] == "lobby"
        assert frame["frame"]["action"] == "message_deleted"
        assert (frame["frame"]["payload"]["seq"], frame["frame"]["payload"]["target_seq"]) == (2, 1)
