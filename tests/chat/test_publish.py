"""
Writes from outside a connection (the HTTP API, a command, a Celery task)
enter the room's stream and reach its connections once they commit.
"""

from channels.db import database_sync_to_async
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from chat import services, tasks
from chat.models import Message
from tests.support.chat import LobbyTestCase, assert_nothing_pending, next_action


class TestWritesFromAnywhere(LobbyTestCase):
    async def test_a_message_posted_over_http_reaches_the_room(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)
        client = Client()
        await database_sync_to_async(client.force_login)(self.ann)

        reply = await database_sync_to_async(client.post)(
            "/api/chat/rooms/lobby/messages/",
            {"message": "from a script", "client_id": "script-1"},
            content_type="application/json",
        )
        again = await database_sync_to_async(client.post)(
            "/api/chat/rooms/lobby/messages/",
            {"message": "from a script", "client_id": "script-1"},
            content_type="application/json",
        )

        assert (reply.status_code, reply.json()["seq"]) == (201, 2)
        assert (again.status_code, again.json()["duplicate"]) == (200, True)
        message = (await next_action(ben, "new_chat_message"))["payload"]
        assert (message["seq"], message["name"]) == (2, "ann")

    async def test_a_message_the_rules_refuse_over_http_says_why(self) -> None:
        client = Client()
        await database_sync_to_async(client.force_login)(self.ann)

        reply = await database_sync_to_async(client.post)(
            "/api/chat/rooms/lobby/messages/", {"message": "  "}, content_type="application/json"
        )

        assert reply.status_code == 400
        assert "needs text or an attachment" in reply.json()["detail"]

    async def test_a_command_and_a_task_post_to_the_room(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)

        await database_sync_to_async(call_command)(
            "post_chat_message", "lobby", "from the shell", "--as", "ann"
        )
        await database_sync_to_async(tasks.post_message)("lobby", "ann", "from a worker", "t-1")

        for text in ("from the shell", "from a worker"):
            assert (await next_action(ben, "new_chat_message"))["payload"]["message"] == text

    async def test_a_write_rolled_back_is_neither_stored_nor_told(self) -> None:
        await self.post(self.ann, "hello")
        ben, _ = await self.in_room(self.ben)

        def rolled_back() -> None:
            with transaction.atomic():
                services.post_and_publish(room_name="lobby", user=self.ann, body="undone")
                transaction.set_rollback(True)

        await database_sync_to_async(rolled_back)()

        assert not await Message.objects.filter(body="undone").aexists()
        await assert_nothing_pending(ben)
