"""Private rooms and direct messages: who gets in, who is kept out, and when."""

from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from chat import services
from chat.consumers import ChatConsumer
from chat.models import Membership
from tests.support.chat import assert_nothing_pending, chat_frame, next_action, next_frame
from tests.support.credentials import session_headers, token_headers
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase


class TestPrivateRooms(WebsocketTestCase):
    consumer = ChatConsumer
    ws_path = "/ws/chat/secret/"

    def setUp(self) -> None:
        super().setUp()
        self.owner = User.objects.create_user("owner", password="pw-owner-123")
        self.member = User.objects.create_user("member", password="pw-member-123")
        self.stranger = User.objects.create_user("stranger", password="pw-stranger-123")
        services.create_private_room(owner=self.owner, name="secret", member_usernames=["member"])

    async def denied(self, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
        """Connect and return (authentication status, close code); nothing else may arrive."""
        communicator = self.create_communicator(headers=headers)
        await communicator.connect()
        auth = await communicator.wait_for_auth()
        assert auth is not None
        closed = await communicator.receive_output()
        assert closed["type"] == "websocket.close", f"sent before closing: {closed}"
        return auth.payload.status_code, closed["code"]

    async def admitted(self, user: User, room: str = "secret") -> DjangoWebsocketCommunicator:
        communicator = self.create_communicator(
            ws_path=f"/ws/chat/{room}/", headers=await database_sync_to_async(session_headers)(user)
        )
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        await next_action(communicator, "chat_history")
        await next_action(communicator, "presence_state")
        return communicator

    async def test_a_signed_in_non_member_is_refused_with_4403_before_any_history(self) -> None:
        headers = await database_sync_to_async(session_headers)(self.stranger)

        assert await self.denied(headers) == (403, 4403)

    async def test_an_anonymous_client_is_asked_to_log_in_with_4401(self) -> None:
        assert await self.denied([]) == (401, 4401)

    async def test_a_token_of_a_non_member_is_refused_too(self) -> None:
        headers = await database_sync_to_async(token_headers)(self.stranger)

        assert await self.denied(headers) == (403, 4403)

    async def test_members_get_in_and_chat(self) -> None:
        owner, member = await self.admitted(self.owner), await self.admitted(self.member)

        await owner.send_json_to(chat_frame("members only", name=None))

        frame = await next_action(member, "new_chat_message")
        assert frame["payload"]["message"] == "members only"
        assert frame["payload"]["name"] == "owner"

    async def test_a_member_removed_mid_session_is_disconnected(self) -> None:
        member = await self.admitted(self.member)

        await database_sync_to_async(services.remove_member)(
            room_name="secret", actor=self.owner, username="member"
        )

        error = await next_action(member, "error")
        assert error["payload"] == {"detail": "You were removed from this room."}
        await member.assert_closed(4403)

    async def test_a_message_from_someone_no_longer_a_member_is_refused(self) -> None:
        member = await self.admitted(self.member)
        # Membership gone without the usual notification: the per-message check still holds.
        await Membership.objects.filter(user=self.member).adelete()

        await member.send_json_to(chat_frame("sneaky", name=None))

        error = await next_frame(member)
        assert error == {
            "action": "error",
            "payload": {"detail": "You are not a member of this room."},
        }
        await member.assert_closed(4403)

    async def test_a_direct_message_reaches_the_recipient_in_every_open_tab(self) -> None:
        room = await database_sync_to_async(services.direct_room)(
            user=self.owner, other_username="member"
        )
        sender = await self.admitted(self.owner, room.name)
        in_the_room = await self.admitted(self.member, room.name)
        elsewhere = await self.admitted(self.member, "lobby")

        await sender.send_json_to(chat_frame("psst", name=None))

        assert (await next_action(in_the_room, "new_chat_message"))["payload"]["message"] == "psst"
        notice = await next_action(elsewhere, "direct_message")
        assert notice["payload"] == {"room": room.name, "name": "owner", "preview": "psst"}

    async def test_a_direct_message_leaves_the_recipients_sockets_of_other_apps_open(
        self,
    ) -> None:
        room = await database_sync_to_async(services.direct_room)(
            user=self.owner, other_username="member"
        )
        sender = await self.admitted(self.owner, room.name)
        system = self.create_communicator(
            ws_path="/ws/system/",
            headers=await database_sync_to_async(session_headers)(self.member),
        )
        assert (await system.connect())[0]
        await system.assert_authenticated_status_ok()
        await next_action(system, "job_list")

        await sender.send_json_to(chat_frame("psst", name=None))
        await next_action(sender, "message_accepted")

        await assert_nothing_pending(system)
