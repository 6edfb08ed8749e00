"""Helpers for talking to the chat consumer through chanx's test communicator."""

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from chat import services
from chat.consumers import ChatConsumer
from chat.participants import Participant
from tests.support.credentials import session_headers
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

# Frames that arrive on their own schedule; most tests look past them.
READ_STATE = frozenset({"read_state", "read_receipts", "read_receipt", "room_activity"})
CHATTER = frozenset({"complete", "presence_joined", "presence_left", "user_typing"}) | READ_STATE


def chat_frame(message: str, name: str | None = "Alice", **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"message": message, **extra}
    if name is not None:
        payload["name"] = name
    return {"action": "new_chat_message", "payload": payload}


async def next_frame(
    communicator: DjangoWebsocketCommunicator, *, ignore: frozenset[str] = CHATTER
) -> dict[str, Any]:
    """The next frame whose action (inside `in_room`, the inner one's) is not in `ignore`."""
    while True:
        frame: dict[str, Any] = await communicator.receive_json_from()
        action = frame["action"]
        if action == "in_room":
            action = frame["payload"]["frame"]["action"]
        if action not in ignore:
            return frame


async def next_action(
    communicator: DjangoWebsocketCommunicator, action: str, *, ignore: frozenset[str] = CHATTER
) -> dict[str, Any]:
    frame = await next_frame(communicator, ignore=ignore)
    assert frame["action"] == action, frame
    return frame


async def assert_nothing_pending(
    communicator: DjangoWebsocketCommunicator, *, ignore: frozenset[str] = CHATTER
) -> None:
    """Ping and get pong as the next frame that matters: nothing else was queued."""
    await communicator.send_json_to({"action": "ping"})
    frame = await next_frame(communicator, ignore=ignore)
    assert frame == {"action": "pong", "payload": None}, frame


Headers = list[tuple[bytes, bytes]]


class LobbyTestCase(WebsocketTestCase):
    """Two signed-in users, ann and ben, and connections to the lobby's own endpoint."""

    consumer = ChatConsumer
    ws_path = "/ws/chat/lobby/"

    def setUp(self) -> None:
        super().setUp()
        self.ann = User.objects.create_user("ann", password="pw-ann-123")
        self.ben = User.objects.create_user("ben", password="pw-ben-123")

    async def post(self, by: User, body: str) -> int:
        """Store `body` in the lobby as `by` posts it; its seq."""
        posted = await database_sync_to_async(services.post_message)(
            room_name="lobby",
            author=Participant(key=f"user:{by.pk}", name=by.username, guest=False, user_id=by.pk),
            user=by,
            body=body,
            client_id=f"{by.pk}-{body}",
        )
        return int(posted.message.seq)

    async def in_room(
        self, who: User | Headers, last_seq: int | None = None
    ) -> tuple[DjangoWebsocketCommunicator, list[dict[str, Any]]]:
        """
        A connection to the lobby as `who` (a user, or a client's headers),
        and its backlog: the room's frames before presence, but read state.
        """
        headers: Headers = (
            await database_sync_to_async(session_headers)(who) if isinstance(who, User) else who
        )
        query = "" if last_seq is None else f"?last_seq={last_seq}"
        communicator = self.create_communicator(ws_path=f"/ws/chat/lobby/{query}", headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        backlog = []
        while (frame := await communicator.receive_json_from())["action"] != "presence_state":
            if frame["action"] != "read_state":
                backlog.append(frame)
        return communicator, backlog

    async def following_the_lobby(self, user: User, last_seq: int) -> DjangoWebsocketCommunicator:
        """`user`'s connection to all their rooms, once it follows the lobby from `last_seq`."""
        headers = await database_sync_to_async(session_headers)(user)
        communicator = self.create_communicator(ws_path="/ws/chat/", headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        await next_action(communicator, "room_list")
        subscribe = {"action": "subscribe", "payload": {"rooms": {"lobby": last_seq}}}
        await communicator.send_json_to(subscribe)
        while (await next_action(communicator, "in_room"))["payload"]["frame"]["action"] != (
            "presence_state"
        ):
            pass
        return communicator
