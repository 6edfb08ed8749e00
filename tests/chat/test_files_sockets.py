"""Files over the sockets: a message carries its files to everyone; a refusal names the post."""

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import files
from tests.support.chat import LobbyTestCase, assert_nothing_pending, next_action


def with_files(message: str, attachments: list[int], client_id: str) -> dict[str, Any]:
    payload = {"message": message, "attachments": attachments, "client_id": client_id}
    return {"action": "new_chat_message", "payload": payload}


class TestFiles(LobbyTestCase):
    async def upload(self, by: User, name: str = "notes.txt") -> int:
        stored = await database_sync_to_async(files.upload)(
            room_name="lobby", user=by, file=SimpleUploadedFile(name, b"minutes of the meeting")
        )
        return int(stored.pk)

    async def test_a_message_with_files_reaches_the_room_with_them(self) -> None:
        await self.post(self.ann, "hello")
        upload = await self.upload(self.ann)
        ann, _ = await self.in_room(self.ann)
        ben, _ = await self.in_room(self.ben)

        await ann.send_json_to(with_files("", [upload], "with-notes"))

        accepted = (await next_action(ann, "message_accepted"))["payload"]
        received = (await next_action(ben, "new_chat_message"))["payload"]
        assert (accepted["client_id"], accepted["seq"]) == ("with-notes", 2)
        assert received["message"] == ""
        (attachment,) = received["attachments"]
        assert attachment["name"] == "notes.txt"
        assert attachment["url"] == f"/chat/files/{upload}/notes.txt"

    async def test_a_post_with_a_file_it_cannot_send_is_refused_by_name_and_the_socket_stays(
        self,
    ) -> None:
        await self.post(self.ann, "hello")
        bens = await self.upload(self.ben)
        ann, _ = await self.in_room(self.ann)

        await ann.send_json_to(with_files("look", [bens], "not-mine"))

        error = (await next_action(ann, "error"))["payload"]
        assert error["client_id"] == "not-mine"
        assert "could not be sent" in error["detail"]
        await assert_nothing_pending(ann)

    async def test_a_message_needs_text_or_a_file(self) -> None:
        await self.post(self.ann, "hello")
        ann, _ = await self.in_room(self.ann)

        await ann.send_json_to(with_files("", [], "empty"))

        error = (await next_action(ann, "error"))["payload"]
        assert "needs text or an attachment" in error[0]["msg"]
        await assert_nothing_pending(ann)

    async def test_on_the_one_connection_a_refusal_names_the_room_and_the_post(self) -> None:
        last = await self.post(self.ann, "hello")
        bens = await self.upload(self.ben)
        ann = await self.following_the_lobby(self.ann, last)

        frame = with_files("look", [bens], "not-mine")
        await ann.send_json_to({"action": "in_room", "payload": {"room": "lobby", "frame": frame}})

        error = (await next_action(ann, "error"))["payload"]
        assert (error["room"], error["client_id"]) == ("lobby", "not-mine")
