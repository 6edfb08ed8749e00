"""
Redis restarts while 20 clients chat: every socket closes cleanly (1011)
instead of going deaf, every client reconnects and resumes, and no accepted
message is missing or doubled anywhere.
"""

import asyncio
import json
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.servers import (
    Server,
    ServerProcess,
    free_port,
    manage,
    running_server,
    server_env,
)
from tests.support.services import redis_server, unique_prefix

CLIENTS = 20
ROOM = "outage"


class Chatter:
    """A client like the chat page: posts with client ids, reconnects, resumes from its last seq."""

    def __init__(self, server: ServerProcess, name: str) -> None:
        self.server, self.name = server, name
        self.client_ids: dict[int, str] = {}  # every message seen: seq -> client_id
        self.delivered: set[int] = set()  # seqs delivered on the current connection
        self.doubles: list[int] = []  # seqs one connection delivered twice
        self.unacknowledged: dict[str, str] = {}  # client_id -> text, resent on reconnect
        self.accepted: set[str] = set()
        self.caught_up = asyncio.Event()  # the backlog of the current connection is in
        self.connections = 0
        self.closes: list[int | None] = []
        self.failure: BaseException | None = None

    @property
    def last_seq(self) -> int:
        """The end of the unbroken run of seqs from 1: where to resume from."""
        seq = 0
        while seq + 1 in self.client_ids:
            seq += 1
        return seq

    def saw(self, message: dict[str, Any], *, own: bool = False) -> None:
        seq, client_id = message["seq"], message["client_id"]
        if not own:
            if seq in self.delivered:
                self.doubles.append(seq)
            self.delivered.add(seq)
        self.client_ids[seq] = client_id
        if client_id in self.unacknowledged:  # stored before its ack was lost
            del self.unacknowledged[client_id]
            self.accepted.add(client_id)

    async def post(self, ws: ClientConnection, client_id: str) -> None:
        text = self.unacknowledged[client_id]
        payload = {"message": text, "name": self.name, "client_id": client_id}
        await ws.send(json.dumps({"action": "new_chat_message", "payload": payload}))

    async def read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            action, payload = frame["action"], frame.get("payload")
            if action == "chat_history":
                for message in payload["messages"]:
                    self.saw(message)
                self.caught_up.set()
            elif action == "chat_resumed":
                self.caught_up.set()
            elif action == "new_chat_message":
                self.saw(payload)
            elif action == "message_accepted":
                self.saw({"seq": payload["seq"], "client_id": payload["client_id"]}, own=True)
            elif action == "resync_required":
                raise AssertionError(f"{self.name} was told to resync: {payload}")

    async def session(self, sending: asyncio.Event, stop: asyncio.Event) -> None:
        """One connection: catch up, resend what was not acknowledged, then chat."""
        resume = f"?last_seq={self.last_seq}" if self.client_ids else ""
        self.delivered = set()
        self.caught_up.clear()
        async with connect(f"{self.server.ws_url}/ws/chat/{ROOM}/{resume}") as ws:
            self.connections += 1
            reader = asyncio.create_task(self.read(ws))
            try:
                await asyncio.wait([reader, asyncio.create_task(self.caught_up.wait())],
                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                for client_id in list(self.unacknowledged):
                    await self.post(ws, client_id)
                while not stop.is_set() and not reader.done():
                    if sending.is_set():
                        client_id = uuid.uuid4().hex
                        self.unacknowledged[client_id] = f"{self.name} {len(self.accepted)}"
                        await self.post(ws, client_id)
                    await asyncio.wait([reader], timeout=0.2)
                if reader.done():
                    reader.result()  # a lost connection raises here
            finally:
                reader.cancel()
                self.closes.append(ws.close_code)

    async def run(self, sending: asyncio.Event, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                with suppress(ConnectionClosed, InvalidStatus, OSError):
                    await self.session(sending, stop)
                await asyncio.sleep(0.1)  # the page backs off too
        except Exception as failure:
            self.failure = failure


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
@pytest.mark.timeout(180)
async def test_after_a_redis_restart_every_client_is_back_and_no_accepted_message_is_missing(
    tmp_path: Path, server: Server
) -> None:
    port = free_port()
    with redis_server(port) as redis:
        env = server_env(
            tmp_path, settings="config.settings.dev",
            redis_url=f"redis://127.0.0.1:{port}/0", prefix=unique_prefix(),
        )  # fmt: skip
        env["JOBS_BACKEND"] = "inprocess"
        manage(env, "migrate", "--noinput")
        with running_server(env, tmp_path, server) as process:
            chatters = [Chatter(process, f"c{n}") for n in range(CLIENTS)]
            stop, sending = asyncio.Event(), asyncio.Event()
            running = [asyncio.create_task(c.run(sending, stop)) for c in chatters]
            await asyncio.gather(*(c.caught_up.wait() for c in chatters))
            sending.set()
            await asyncio.sleep(1)

            redis.kill()
            redis.wait()
            await asyncio.sleep(1)  # clients post into the outage
            with redis_server(port):
                restarted = time.monotonic()
                await asyncio.wait_for(
                    asyncio.gather(*(wait_reconnected(c) for c in chatters)), timeout=30
                )
                recovered = time.monotonic() - restarted
                await asyncio.sleep(1)  # chatting again
                sending.clear()
                await asyncio.wait_for(all_acknowledged(chatters), timeout=30)
                final = max(max(c.client_ids) for c in chatters)
                await asyncio.wait_for(all_caught_up(chatters, final), timeout=30)
                stop.set()
                for task in running:
                    with suppress(asyncio.CancelledError):
                        await task

    accepted = set().union(*(c.accepted for c in chatters))
    for chatter in chatters:
        assert chatter.failure is None, (chatter.name, chatter.failure)
        assert sorted(chatter.client_ids) == list(range(1, final + 1)), chatter.name
        assert chatter.doubles == [], chatter.name
        assert accepted <= set(chatter.client_ids.values()), chatter.name
        assert {1011, 4011} & set(chatter.closes), f"{chatter.name} was not told: {chatter.closes}"
    print(f"\n{len(accepted)} messages accepted, 0 lost; all {CLIENTS} back {recovered:.2f} s "
          "after Redis restarted")  # fmt: skip


async def wait_reconnected(chatter: Chatter) -> None:
    while not (chatter.connections >= 2 and chatter.caught_up.is_set()):  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def all_acknowledged(chatters: list[Chatter]) -> None:
    while any(c.unacknowledged for c in chatters):  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def all_caught_up(chatters: list[Chatter], final: int) -> None:
    while any(c.last_seq < final for c in chatters):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
