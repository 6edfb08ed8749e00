"""
The production protocol's immediate sender (core.serving) on real sockets:
room events written by the channel layer's task reach members intact,
whether or not the connection compresses its frames.
"""

from pathlib import Path

import pytest

from tests.support.client import receive_action, send_json
from tests.support.rooms import QUIET, joined
from tests.support.servers import migrated_env, running_server

ROOM = "serving"
# Frames of each length encoding: 7 bits, and 16 bits of ASCII and of 4-byte characters.
TEXTS = ["plain", "ünïcödé and \U0001f418", "x" * 2000, "\U0001f418" * 2000]


@pytest.mark.parametrize("deflate", ["false", "true"], ids=["uncompressed", "compressed"])
async def test_room_messages_of_every_size_reach_another_member_intact(
    tmp_path: Path, shared_redis_url: str, deflate: str
) -> None:
    env = migrated_env(tmp_path, redis_url=shared_redis_url)
    options = ("--ws-per-message-deflate", deflate)
    with running_server(env, tmp_path, "uvicorn", options=options) as server:
        async with joined(server, ROOM) as poster, joined(server, ROOM) as reader:
            await receive_action(reader, "chat_history")
            compressed = bool(reader.protocol.extensions)
            for text in TEXTS:
                frame = {"action": "new_chat_message", "payload": {"message": text}}
                await send_json(poster, frame)
            received = []
            for _ in TEXTS:
                delivered = await receive_action(reader, "new_chat_message", ignore=QUIET)
                received.append(delivered["payload"]["message"])

    assert received == TEXTS
    assert compressed == (deflate == "true")
