"""
A process that commits a message and dies before broadcasting it: the
room's connections on a running server still get the message.
"""

import asyncio
import json
import secrets
import sys

from tests.support.client import receive_action
from tests.support.rooms import joined
from tests.support.servers import BASE_DIR, ServerProcess

# Stores a message with the code every outside writer uses, then dies where
# the broadcast would start: after the commit, before anyone is told.
CRASH_BEFORE_PUBLISH = """
import os
from django.contrib.auth.models import User
from chat import notifications, services

async def die(*args, **kwargs):
    os._exit(17)

notifications.message_posted = die
user, _ = User.objects.get_or_create(username={username!r})
services.post_and_publish(room_name={room!r}, user=user, body={body!r})
"""


async def test_a_message_whose_writer_died_before_telling_anyone_reaches_the_room(
    dev_server: ServerProcess,
) -> None:
    room = f"crash-{secrets.token_hex(4)}"
    async with joined(dev_server, room) as ws:
        await receive_action(ws, "chat_history")
        code = CRASH_BEFORE_PUBLISH.format(username="cron", room=room, body="stored, untold")

        writer = await asyncio.create_subprocess_exec(
            sys.executable, "manage.py", "shell", "-c", code,
            cwd=BASE_DIR, env=dev_server.env, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, errors = await writer.communicate()
        assert writer.returncode == 17, errors.decode()

        async with asyncio.timeout(20):  # the server checks the room's head every 2 s
            while (frame := json.loads(await ws.recv()))["action"] != "new_chat_message":
                pass
    assert (frame["payload"]["seq"], frame["payload"]["message"]) == (1, "stored, untold")
