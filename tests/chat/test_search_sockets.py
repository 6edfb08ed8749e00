"""A search result opened: the room's history around the message, over the socket."""

from tests.support.chat import LobbyTestCase, assert_nothing_pending, next_action


class TestHistoryAround(LobbyTestCase):
    async def test_a_page_around_a_message_says_so_and_what_lies_on_either_side(self) -> None:
        for n in range(1, 31):
            await self.post(self.ann, f"message {n}")
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to(
            {"action": "load_history", "payload": {"around_seq": 15, "limit": 10}}
        )

        page = (await next_action(ben, "chat_history"))["payload"]
        assert [m["seq"] for m in page["messages"]] == list(range(10, 20))
        assert (page["around_seq"], page["has_more"], page["has_newer"]) == (15, True, True)

    async def test_a_request_must_say_before_or_around_not_both(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to(
            {"action": "load_history", "payload": {"around_seq": 1, "before_seq": 2}}
        )

        error = (await next_action(ben, "error"))["payload"]
        assert "either before_seq or around_seq" in error[0]["msg"]
        await assert_nothing_pending(ben)
