"""
Chat fan-out under load: R rooms x N clients on a server, every client posting
M messages at a set rate; what reaches the others, how late, at what cost.

Each message carries its sender, its number and its send time, so the load
client (this process, apart from the server) counts every delivery: lost or
duplicated ones (which must be 0), latency p50/p99 from send to delivery, and
the server's CPU time per delivered message and memory per connection (read
from /proc for the server's process tree).

    python -m bench.fanout                              # starts its own uvicorn
    python -m bench.fanout --url ws://127.0.0.1:8000 --pid 1234 --rooms 10 --clients 10
    python -m bench.fanout --one-connection     # clients on ws/chat/, subscribed to their room
"""

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import uvloop
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

QUIET_FOR = 5.0  # seconds without a delivery after which the rest count as lost
CLOSE_TIMEOUT = 10.0
# A delivery is a `new_chat_message` frame (inside an `in_room` envelope on
# ws/chat/) whose payload's "message" is the text a client of the load sent
# (no quotes in it): found without decoding the JSON, which cost the load
# client as much as parsing the frame did.
DELIVERY = re.compile(
    rb'(?:{"action":"in_room","payload":{"room":"[^"]*","frame":)?'
    rb'{"action": ?"new_chat_message".*?"message": ?"([^"]*)"',
    re.DOTALL,
)
FINAL_TEXT_FRAME = 0x81  # FIN, opcode 1: every text frame a server sends here
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Load:
    rooms: int = 1
    clients: int = 50
    messages: int = 20  # per client
    rate: float = 2.0  # messages per second per client
    idle: int = 0  # connections besides, each alone in a room, that only listen
    # Each client on ws/chat/, subscribed to its room, instead of on ws/chat/{room}/.
    one_connection: bool = False

    def __str__(self) -> str:
        idle = f" +{self.idle} idle" if self.idle else ""
        return f"{self.rooms} x {self.clients}{idle}"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    delivered: int = 0
    duplicated: int = 0
    last_delivery: float = 0.0


@dataclass(frozen=True)
class FanoutReport:
    load: Load
    expected: int
    delivered: int
    lost: int
    duplicated: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_delivery: float | None
    kib_per_connection: float | None
    client_cpu: float  # share of a core the load client itself used

    def row(self) -> str:
        cpu = f"{self.cpu_us_per_delivery:.0f}" if self.cpu_us_per_delivery is not None else "-"
        memory = f"{self.kib_per_connection:.0f}" if self.kib_per_connection is not None else "-"
        return (
            f"{self.load!s:<15} {self.delivered:>9} "
            f"{self.delivered / self.seconds:>9.0f} {self.p50_ms:>7.1f} {self.p99_ms:>7.1f} "
            f"{cpu:>8} {memory:>8} {self.lost:>5} {self.duplicated:>5} {self.client_cpu:>7.0%}"
        )

    HEADER = (
        "load            delivered   per sec  p50 ms  p99 ms CPU us/d KiB/conn  lost   dup  client"
    )


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += process_tree(int(child))
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time of the servers `pids` and their process trees."""
    total = 0
    for member in (member for pid in pids for member in process_tree(pid)):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def rss_bytes(pids: Sequence[int]) -> int:
    return sum(
        int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE_SIZE
        for pid in pids
        for member in process_tree(pid)
    )


class Client(asyncio.Protocol):
    """
    One connection of the load: websockets' Sans-I/O protocol (handshake,
    framing, ping and close) on an asyncio transport, each frame counted in
    the transport's callback as it arrives. The library's asyncio connection
    hands every message to a reading task through futures: past what one
    server process delivers, the load client then took two thirds as much CPU
    as the server, from the cores the server processes share with it.

    Once the client has joined, deliveries (text frames that match DELIVERY)
    are found by walking the frame headers in the received bytes; every other
    frame is handed whole to the protocol, which answers pings and closes as
    before. The protocol's parser, in pure Python, had cost as much as all
    the rest of a delivery's counting.
    """

    def __init__(self, name: str, room: str, tally: Tally, *, one_connection: bool = False) -> None:
        self.name, self.room, self.tally = name, room, tally
        self.one_connection = one_connection
        self.seen: set[str] = set()  # the message texts this client received
        self.joined = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.unparsed = b""  # the start of a frame, once frames are walked here
        self.walking = False

    async def join(self, url: str) -> None:
        """Connect, and return once the room's history arrived."""
        path = "/ws/chat/" if self.one_connection else f"/ws/chat/{self.room}/"
        uri = parse_uri(f"{url}{path}")
        self.protocol = ClientProtocol(uri, max_size=None)
        self.protocol.send_request(self.protocol.connect())
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, uri.host, uri.port)
        await self.joined

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.flush()

    def data_received(self, data: bytes) -> None:
        if self.walking:
            self.walk(data)
            return
        self.handle(data)
        # Walk from here on if the protocol is between frames (it is while
        # the room is quiet, as it is when a client has just joined).
        self.walking = self.joined.done() and not self.protocol.reader.buffer

    def walk(self, data: bytes) -> None:
        """Count the deliveries among the frames in `data`; hand the protocol the others."""
        buffer = self.unparsed + data if self.unparsed else data
        position, end = 0, len(buffer)
        while end - position >= 2:
            length, start = buffer[position + 1] & 0x7F, position + 2
            if length == 126:
                length, start = int.from_bytes(buffer[start : start + 2]), start + 2
            elif length == 127:
                length, start = int.from_bytes(buffer[start : start + 8]), start + 8
            stop = start + length
            if stop > end:
                break
            if buffer[position] == FINAL_TEXT_FRAME and (
                found := DELIVERY.match(buffer, start, stop)
            ):
                self.delivered(found[1].decode())
            else:
                self.handle(buffer[position:stop])
            position = stop
        self.unparsed = buffer[position:]

    def handle(self, data: bytes) -> None:
        """Bytes for websockets' protocol: frames the pattern does not count, and what it sends."""
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                if (found := DELIVERY.match(event.data)) is not None:
                    self.delivered(found[1].decode())
                else:
                    self.received(json.loads(bytes(event.data)))
            elif self.protocol.handshake_exc is not None and not self.joined.done():
                self.joined.set_exception(self.protocol.handshake_exc)
        self.flush()

    def delivered(self, text: str) -> None:
        """A message of the load reached this client: "<sender> <number> <send time>"."""
        now = time.perf_counter()
        tally = self.tally
        if text in self.seen:
            tally.duplicated += 1
        else:
            self.seen.add(text)
        tally.delivered += 1
        tally.latencies.append(now - float(text.rpartition(" ")[2]))
        tally.last_delivery = now

    def received(self, frame: dict[str, Any]) -> None:
        """
        A frame decoded in full: a delivery the pattern missed, the history
        (joined), or on ws/chat/ the room list (time to subscribe).
        """
        if frame["action"] == "in_room":
            frame = frame["payload"]["frame"]
        if frame["action"] == "new_chat_message":
            self.delivered(frame["payload"]["message"])
        elif frame["action"] == "chat_history" and not self.joined.done():
            self.joined.set_result(None)
        elif frame["action"] == "room_list":
            subscribe = {"action": "subscribe", "payload": {"rooms": {self.room: None}}}
            self.protocol.send_text(json.dumps(subscribe).encode())

    def eof_received(self) -> None:
        self.protocol.receive_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.joined.done():
            self.joined.set_exception(ConnectionError(f"{self.name}: connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)

    def flush(self) -> None:
        """Write what the protocol has to send (frames, pongs, the close)."""
        if self.transport is not None:
            for data in self.protocol.data_to_send():
                if data:
                    self.transport.write(data)
                else:
                    self.transport.write_eof()

    async def post(self, load: Load) -> None:
        interval = 1 / load.rate
        # Clients keep their own phase, as people do: not all in the same instant.
        start = time.perf_counter() + random.uniform(0, interval)
        for number in range(load.messages):
            await asyncio.sleep(max(0.0, start + number * interval - time.perf_counter()))
            text = f"{self.name} {number} {time.perf_counter():.6f}"
            payload = {"message": text, "name": "bench", "client_id": f"{self.name}-{number}"}
            message: dict[str, Any] = {"action": "new_chat_message", "payload": payload}
            if self.one_connection:
                message = {"action": "in_room", "payload": {"room": self.room, "frame": message}}
            frame = json.dumps(message)
            self.protocol.send_text(frame.encode())
            self.flush()

    async def leave(self) -> None:
        """Close the WebSocket and wait for the server to end the connection."""
        if self.transport is None or self.transport.is_closing():
            return
        self.protocol.send_close()
        self.flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), CLOSE_TIMEOUT)
        except (TimeoutError, ConnectionError):
            self.transport.abort()


async def measure(
    urls: Sequence[str], load: Load, server_pids: Sequence[int] = (), *, by_room: bool = False
) -> FanoutReport:
    """
    `load` on the servers at `urls` (processes `server_pids`, for CPU and
    memory): each client connects to one of them in turn, or with `by_room`
    all of a room's clients to the same one, as a balancer that routes by
    path would send them.
    """
    tally = Tally()
    run = uuid.uuid4().hex[:6]
    before_rss = rss_bytes(server_pids) if server_pids else None
    # Idle connections first, as they would have joined before the load.
    everyone = [
        (Client(f"i{n}", f"bench-{run}-idle-{n}", Tally()), urls[n % len(urls)])
        for n in range(load.idle)
    ]
    clients = []
    for room in range(load.rooms):
        for n in range(load.clients):
            client = Client(
                f"c{room}-{n}", f"bench-{run}-{room}", tally, one_connection=load.one_connection
            )
            clients.append(client)
            everyone.append((clients[-1], urls[(room if by_room else len(clients)) % len(urls)]))
    for batch in range(0, len(everyone), 50):  # not a thundering herd of handshakes
        await asyncio.gather(*(client.join(url) for client, url in everyone[batch : batch + 50]))
    after_rss = rss_bytes(server_pids) if server_pids else None
    cpu_before = cpu_seconds(server_pids) if server_pids else None
    began, client_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client.post(load) for client in clients))
    expected = len(clients) * load.messages * (load.clients - 1)
    tally.last_delivery = time.perf_counter()
    while tally.delivered < expected:
        if time.perf_counter() - tally.last_delivery > QUIET_FOR:
            break
        await asyncio.sleep(0.05)  # progress check of a load run, not synchronisation
    seconds = max(tally.last_delivery, began) - began
    client_cpu = (time.process_time() - client_began) / max(time.perf_counter() - began, 1e-9)
    cpu = cpu_seconds(server_pids) - cpu_before if cpu_before is not None else None
    await asyncio.gather(*(client.leave() for client, _ in everyone))

    delivered = tally.delivered
    unique = sum(len(client.seen) for client in clients)
    latencies = sorted(tally.latencies) or [0.0]
    return FanoutReport(
        load=load,
        expected=expected,
        delivered=delivered,
        lost=expected - unique,
        duplicated=tally.duplicated,
        seconds=seconds,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        cpu_us_per_delivery=cpu / delivered * 1e6 if cpu is not None and delivered else None,
        client_cpu=client_cpu,
        kib_per_connection=(after_rss - before_rss) / len(everyone) / 1024
        if after_rss is not None and before_rss is not None
        else None,
    )


def run(
    urls: Sequence[str], load: Load, server_pids: Sequence[int] = (), *, by_room: bool = False
) -> FanoutReport:
    """`measure` on uvloop, as the production server runs: the load costs the machine less."""
    return uvloop.run(measure(urls, load, server_pids, by_room=by_room))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--url", help="ws://host:port of a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="the server's process id, for CPU and memory")
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="messages/s per client")
    parser.add_argument("--idle", type=int, default=0, help="listening connections besides")
    parser.add_argument(
        "--one-connection", action="store_true", help="clients on ws/chat/, subscribed to a room"
    )
    args = parser.parse_args()
    load = Load(args.rooms, args.clients, args.messages, args.rate, args.idle, args.one_connection)
    if args.url:
        report = run([args.url], load, [args.pid] if args.pid else [])
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        from tests.support.servers import manage, running_server, server_env

        with tempfile.TemporaryDirectory() as workdir:
            env = server_env(
                Path(workdir), settings="config.settings.dev",
                redis_url=os.environ.get("REDIS_URL"), prefix=f"bench-{uuid.uuid4().hex[:8]}",
            )  # fmt: skip
            env.update(
                WEBSOCKET_RATE_PER_CONNECTION="100000/second",
                WEBSOCKET_RATE_PER_USER="100000/second",
            )
            manage(env, "migrate", "--noinput")
            with running_server(env, Path(workdir), "uvicorn") as server:
                report = run([server.ws_url], load, [server.process.pid])
    print(FanoutReport.HEADER)
    print(report.row())


if __name__ == "__main__":
    main()
