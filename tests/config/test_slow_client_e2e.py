"""
A client that stops reading, against the production server: the server stops
reading from it too instead of buffering without bound, then resets it once
its pings go unanswered, while everyone else carries on.
"""

import asyncio
import base64
import os
import socket
import struct
import time
from contextlib import ExitStack, closing
from pathlib import Path

from websockets.asyncio.client import connect

from tests.support.client import assert_answers_ping, receive_action, send_json
from tests.support.rooms import QUIET, joined
from tests.support.servers import ServerProcess, migrated_env, running_server

PING_INTERVAL = PING_TIMEOUT = 1.0
CLOSE_TIMEOUT = 10.0  # uvicorn's, not configurable
FRAME = 500 * 1024  # under the echo's 512 KiB limit
FRAMES = 200  # 100 MB of echoes asked for: more than all the kernel buffers on the way hold
TCP_ESTABLISHED = 1


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) * 1024


def masked_text_frame(payload: bytes) -> bytes:
    """A client frame; the all-zero mask leaves the payload as it is."""
    return struct.pack("!BBQ", 0x81, 0x80 | 127, len(payload)) + b"\0\0\0\0" + payload


def open_without_reading(server: ServerProcess, path: str = "/ws/system/echo/") -> socket.socket:
    """A WebSocket whose receive buffer is tiny and which never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((server.host, server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert b" 101 " in sock.recv(1024).split(b"\r\n")[0]
    return sock


def send_until_the_server_stops_reading(sock: socket.socket) -> int:
    """Send FRAMES echo requests; how many bytes went out before the sends blocked."""
    sock.settimeout(2)
    sent = 0
    frame = masked_text_frame(b"x" * FRAME)
    try:
        for _ in range(FRAMES):
            view = memoryview(frame)
            while view:
                n = sock.send(view)
                sent, view = sent + n, view[n:]
    except TimeoutError:
        pass
    return sent


def tcp_state(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


async def test_a_client_that_stops_reading_is_held_to_bounded_memory_then_reset(
    tmp_path: Path, e2e_redis_url: str | None
) -> None:
    env = migrated_env(tmp_path, redis_url=e2e_redis_url)
    keepalive = ("--ws-ping-interval", str(PING_INTERVAL), "--ws-ping-timeout", str(PING_TIMEOUT))
    with (
        ExitStack() as stack,
        running_server(env, tmp_path, "uvicorn", options=keepalive) as server,
    ):
        async with connect(f"{server.ws_url}/ws/chat/lobby/") as witness:
            await receive_action(witness, "authentication")
            await receive_action(witness, "chat_history")
            await receive_action(witness, "presence_state")
            before = rss_bytes(server.process.pid)
            stalled = stack.enter_context(closing(open_without_reading(server)))
            asked_at = time.monotonic()

            sent = await asyncio.to_thread(send_until_the_server_stops_reading, stalled)

            assert sent < FRAMES * FRAME, "the server kept reading from a client that does not"
            assert rss_bytes(server.process.pid) - before < 64 * 1024 * 1024
            await assert_answers_ping(witness)
            deadline = asked_at + PING_INTERVAL + PING_TIMEOUT + CLOSE_TIMEOUT + 5
            while tcp_state(stalled) == TCP_ESTABLISHED:
                assert time.monotonic() < deadline, "the stalled client was never let go"
                await asyncio.sleep(0.1)
            await assert_answers_ping(witness)
        assert server.process.poll() is None


# A chat frame of 8 KB (1,990 four-byte characters): ROOM_FLOOD of them, 4.8 MB,
# is more than the kernel buffers on the way to a member that does not read
# hold (Linux lets a socket's send buffer grow to 4 MB), and the server's
# transport buffer fills past its high-water mark beyond them.
BIG_MESSAGE = "\U0001f418" * 1990
ROOM_FLOOD = 600


async def test_a_chat_member_that_stops_reading_holds_up_no_other_member(
    tmp_path: Path, shared_redis_url: str
) -> None:
    unlimited = "1000000/second"
    env = migrated_env(
        tmp_path, redis_url=shared_redis_url,
        WEBSOCKET_RATE_PER_CONNECTION=unlimited, WEBSOCKET_RATE_PER_USER=unlimited,
    )  # fmt: skip
    room = "flood"
    with running_server(env, tmp_path, "uvicorn") as server:
        async with joined(server, room) as poster:
            await receive_action(poster, "chat_history")
            with closing(open_without_reading(server, f"/ws/chat/{room}/")):
                async with joined(server, room) as reader:
                    await receive_action(reader, "chat_history")

                    for number in range(ROOM_FLOOD):
                        frame = {"message": f"{number} {BIG_MESSAGE}", "name": "Poster"}
                        await send_json(poster, {"action": "new_chat_message", "payload": frame})
                    # Every message reaches the reader, while the stalled member's
                    # buffers fill and then stay full.
                    for number in range(ROOM_FLOOD):
                        delivered = await receive_action(reader, "new_chat_message", ignore=QUIET)
                        assert delivered["payload"]["message"].startswith(f"{number} ")

                    await assert_answers_ping(reader)
        assert server.process.poll() is None
