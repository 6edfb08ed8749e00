"""A message stored but never broadcast still reaches every connection, once, in order."""

from channels.db import database_sync_to_async
from django.test import override_settings

from chat import services
from chat.participants import participant_for
from tests.support.chat import LobbyTestCase, assert_nothing_pending, next_action


@override_settings(CHAT_HEAD_CHECK=0.05)
class TestCatchingUp(LobbyTestCase):
    async def store_untold(self, body: str) -> int:
        """Store a message as a process that died before broadcasting it would have."""
        posted = await database_sync_to_async(services.post_message)(
            room_name="lobby",
            author=participant_for(self.ann, guest_id=None, guest_name=None, connection="x"),
            user=self.ann,
            body=body,
            client_id=f"untold-{body}",
        )
        return int(posted.message.seq)

    async def test_a_connection_reads_what_was_never_broadcast_once(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)

        seq = await self.store_untold("never told")

        message = (await next_action(ben, "new_chat_message"))["payload"]
        assert (message["seq"], message["message"]) == (seq, "never told")
        await assert_nothing_pending(ben)

    async def test_on_the_one_connection_too(self) -> None:
        last = await self.post(self.ann, "hello")
        ben = await self.following_the_lobby(self.ben, last)

        seq = await self.store_untold("never told")

        frame = (await next_action(ben, "in_room"))["payload"]
        assert frame["room"] == "lobby"
        assert (frame["frame"]["action"], frame["frame"]["payload"]["seq"]) == (
            "new_chat_message",
            seq,
        )

    async def test_what_is_broadcast_is_not_read_again(self) -> None:
        await self.post(self.ann, "hello")
        ann, _ = await self.in_room(self.ann)
        ben, _ = await self.in_room(self.ben)

        await ann.send_json_to({"action": "new_chat_message", "payload": {"message": "live"}})
        await next_action(ben, "new_chat_message")
        untold = await self.store_untold("after it")

        assert (await next_action(ben, "new_chat_message"))["payload"]["seq"] == untold
        await assert_nothing_pending(ben)
