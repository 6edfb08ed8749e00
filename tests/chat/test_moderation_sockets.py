"""Mutes over the sockets: told at once, refused with a reason, still reading."""

from datetime import timedelta

from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from chat import moderation
from chat.models import Mute, Room
from tests.support.chat import LobbyTestCase, next_action


class TestMutes(LobbyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.mod = User.objects.create_user("mod")
        self.mod.user_permissions.add(Permission.objects.get(codename="moderate_room"))

    async def mute_ben(self, minutes: int = 5, reason: str = "flooding") -> None:
        await database_sync_to_async(moderation.mute)(
            room_name="lobby", actor=self.mod, username="ben", minutes=minutes, reason=reason
        )

    async def test_a_muted_user_is_told_at_once_and_a_post_is_refused_not_dropped(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)

        await self.mute_ben()
        notice = (await next_action(ben, "muted"))["payload"]
        await ben.send_json_to(
            {"action": "new_chat_message", "payload": {"message": "spam", "client_id": "s1"}}
        )
        refusal = (await next_action(ben, "error"))["payload"]

        assert (notice["room"], notice["reason"]) == ("lobby", "flooding")
        assert notice["until"] is not None
        assert refusal["client_id"] == "s1"
        assert refusal["detail"].startswith("You are muted in this room until")
        # Still in the room, still reading.
        await self.post(self.ann, "still there?")
        assert (await next_action(ben, "new_chat_message"))["payload"]["message"] == "still there?"

    async def test_joining_while_muted_says_so_before_presence(self) -> None:
        await self.post(self.ann, "hello")
        await self.mute_ben(reason="")

        _, backlog = await self.in_room(self.ben)

        assert [frame["action"] for frame in backlog] == ["chat_history", "muted"]

    async def test_a_lifted_mute_lets_the_user_post_again(self) -> None:
        await self.post(self.ann, "hello")
        await self.mute_ben()
        ben, _ = await self.in_room(self.ben)

        await database_sync_to_async(moderation.unmute)(
            room_name="lobby", actor=self.mod, username="ben"
        )
        lifted = (await next_action(ben, "muted"))["payload"]
        await ben.send_json_to({"action": "new_chat_message", "payload": {"message": "sorry"}})

        assert lifted["until"] is None
        assert (await next_action(ben, "message_accepted"))["payload"]["seq"] == 2

    async def test_a_mute_whose_news_was_lost_holds_once_the_list_is_read(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)

        def mute_without_news() -> None:
            until = timezone.now() + timedelta(minutes=5)
            Mute.objects.create(room=Room.objects.get(name="lobby"), user=self.ben, until=until)

        await database_sync_to_async(mute_without_news)()
        with self.settings(CHAT_MUTE_CHECK=0):
            await ben.send_json_to({"action": "new_chat_message", "payload": {"message": "x"}})
            refusal = (await next_action(ben, "error"))["payload"]

        assert refusal["detail"].startswith("You are muted")

    async def test_a_connection_to_all_rooms_hears_of_the_mute_in_the_room_it_concerns(
        self,
    ) -> None:
        await self.post(self.ann, "hello")
        ben = await self.following_the_lobby(self.ben, last_seq=1)

        await self.mute_ben()
        envelope = (await next_action(ben, "in_room"))["payload"]

        assert (envelope["room"], envelope["frame"]["action"]) == ("lobby", "muted")
        await ben.send_json_to(
            {
                "action": "in_room",
                "payload": {"room": "lobby", "frame": {"action": "new_chat_message",
                                                       "payload": {"message": "x"}}},
            }
        )  # fmt: skip
        refusal = (await next_action(ben, "error"))["payload"]
        assert (refusal["room"], refusal["detail"][:12]) == ("lobby", "You are mute")
