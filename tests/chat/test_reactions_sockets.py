"""Reactions over the sockets: every member gets each change, in the stream's order."""

import itertools
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from chat import services
from tests.support.chat import LobbyTestCase, assert_nothing_pending, next_action
from tests.support.credentials import guest_headers

CLIENT_IDS = itertools.count()


def react_frame(seq: int, emoji: str, **extra: Any) -> dict[str, Any]:
    return {"action": "react", "payload": {"seq": seq, "emoji": emoji, **extra}}


class TestReactions(LobbyTestCase):
    async def react(self, by: User, seq: int, emoji: str, *, remove: bool = False) -> None:
        await database_sync_to_async(services.react)(
            room_name="lobby",
            user=by,
            seq=seq,
            emoji=emoji,
            remove=remove,
            client_id=f"r{next(CLIENT_IDS)}",
        )

    async def test_a_reaction_reaches_everyone_in_the_room_the_reactor_too(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        ann, _ = await self.in_room(self.ann)
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to(react_frame(seq, "👍"))

        for member in (ann, ben):
            change = (await next_action(member, "reaction_changed"))["payload"]
            assert (change["seq"], change["target_seq"], change["emoji"]) == (2, 1, "👍")
            assert (change["name"], change["added"]) == ("ben", True)

    async def test_taking_a_reaction_back_reaches_everyone_and_a_repeat_sends_nothing(
        self,
    ) -> None:
        seq = await self.post(self.ann, "lunch?")
        await self.react(self.ben, seq, "👍")
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to(react_frame(seq, "👍", remove=True))
        change = (await next_action(ben, "reaction_changed"))["payload"]
        await ben.send_json_to(react_frame(seq, "👍", remove=True))

        assert (change["seq"], change["added"]) == (3, False)
        await assert_nothing_pending(ben)

    async def test_a_client_that_resumes_gets_the_reactions_it_missed_in_order(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        await self.react(self.ben, seq, "👍")
        await self.react(self.ann, seq, "🎉")
        await self.react(self.ben, seq, "👍", remove=True)

        _, backlog = await self.in_room(self.ann, last_seq=1)

        assert [
            (f["action"], f["payload"].get("emoji"), f["payload"].get("added")) for f in backlog
        ] == [
            ("reaction_changed", "👍", True),
            ("reaction_changed", "🎉", True),
            ("reaction_changed", "👍", False),
            ("chat_resumed", None, None),
        ]

    async def test_a_history_page_shows_the_reactions_as_they_stand(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        await self.react(self.ben, seq, "👍")
        await self.react(self.ann, seq, "👍")
        await self.react(self.ben, seq, "🎉")
        await self.react(self.ben, seq, "🎉", remove=True)

        _, (page,) = await self.in_room(self.ben)

        (message,) = page["payload"]["messages"]
        assert message["reactions"] == [{"emoji": "👍", "users": ["ben", "ann"]}]
        assert page["payload"]["last_seq"] == 5

    async def test_older_history_pages_show_reactions_too(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        await self.react(self.ben, seq, "👍")
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to({"action": "load_history", "payload": {"before_seq": 2}})

        (message,) = (await next_action(ben, "chat_history"))["payload"]["messages"]
        assert message["reactions"] == [{"emoji": "👍", "users": ["ben"]}]

    async def test_text_that_is_no_emoji_is_an_error_and_the_connection_stays(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        ben, _ = await self.in_room(self.ben)

        await ben.send_json_to(react_frame(seq, "<img src=x>"))

        error = await next_action(ben, "error")
        assert "emoji" in str(error["payload"])
        await assert_nothing_pending(ben)

    async def test_a_guest_is_told_to_log_in_and_stays_connected(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        guest, _ = await self.in_room(await database_sync_to_async(guest_headers)())

        await guest.send_json_to(react_frame(seq, "👍"))

        error = await next_action(guest, "error")
        assert error["payload"] == {"detail": "Log in to change messages: edit, delete or react."}
        await assert_nothing_pending(guest)

    async def test_a_reaction_through_the_connection_to_all_rooms(self) -> None:
        seq = await self.post(self.ann, "lunch?")
        everywhere = await self.following_the_lobby(self.ben, last_seq=1)

        await everywhere.send_json_to(
            {"action": "in_room", "payload": {"room": "lobby", "frame": react_frame(seq, "🎉")}}
        )

        frame = (await next_action(everywhere, "in_room"))["payload"]
        assert frame["room"] == "lobby"
        assert frame["frame"]["action"] == "reaction_changed"
        assert (frame["frame"]["payload"]["emoji"], frame["frame"]["payload"]["added"]) == (
            "🎉",
            True,
        )
