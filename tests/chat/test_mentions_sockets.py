"""Mentions over the sockets: every connection of the user named hears of it, in any room."""

from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from tests.support.chat import LobbyTestCase, assert_nothing_pending, chat_frame, next_action
from tests.support.credentials import session_headers
from tests.support.sockets import DjangoWebsocketCommunicator


class TestMentions(LobbyTestCase):
    async def connect(self, user: User, path: str) -> DjangoWebsocketCommunicator:
        headers = await database_sync_to_async(session_headers)(user)
        communicator = self.create_communicator(ws_path=path, headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        return communicator

    async def joined(self, user: User, room: str) -> DjangoWebsocketCommunicator:
        communicator = await self.connect(user, f"/ws/chat/{room}/")
        await next_action(communicator, "chat_history")
        await next_action(communicator, "presence_state")
        return communicator

    async def test_every_connection_of_the_user_named_hears_of_it(self) -> None:
        ann = await self.joined(self.ann, "lobby")
        ben_elsewhere = await self.joined(self.ben, "kitchen")
        ben_everywhere = await self.connect(self.ben, "/ws/chat/")
        await next_action(ben_everywhere, "room_list")

        await ann.send_json_to(chat_frame("lunch, @ben?", name=None))
        await next_action(ann, "message_accepted")

        for connection in (ben_elsewhere, ben_everywhere):
            notice = (await next_action(connection, "mentioned"))["payload"]
            assert notice == {"room": "lobby", "seq": 1, "name": "ann", "preview": "lunch, @ben?"}
        await assert_nothing_pending(ann)  # the author is not told of her own message

    async def test_the_room_list_counts_the_mentions_not_yet_read(self) -> None:
        for body in ("@ben hi", "all of you", "@ben again"):
            await self.post(self.ann, body)

        ben = await self.connect(self.ben, "/ws/chat/")

        rooms = (await next_action(ben, "room_list"))["payload"]["rooms"]
        (lobby,) = [room for room in rooms if room["name"] == "lobby"]
        assert (lobby["mentions"], lobby["unread"]) == (2, 0)
