"""
The benchmark suite (`make bench`): chat fan-out on our consumer and its
peers, on several servers and process counts, side by side.

Every run starts its servers afresh on this machine, with one Redis (the
channel layer) and PostgreSQL when TEST_POSTGRES_URL's server answers (SQLite
otherwise), and drives them with bench.fanout's load client. It prints one
table and writes bench/results/fanout.svg.

At a fixed offered load (0.5 message/s per client), server CPU per delivered
message is the figure that predicts saturation; each target's is also given
as a ratio to the floor, a bare Channels consumer on the list-based Redis
layer, and to Starlette. At heavy loads (two rooms of 50, 8, 12 and 16
messages/s per client: about what one process delivers on two cores, and
past it), delivered messages per second and latency show how throughput
grows with server processes, beside what Starlette's one process delivers
and at what CPU; the first also runs on the list-based layer, whose channels
overflow then. Two rooms, because one room's posts queue behind one another
for its row in PostgreSQL (each commit waits for the disk), whatever the
number of processes.

The suite ends with the assistant's event-loop lag while 20 answers stream
(bench.assistant_lag) and the export job's peak memory on a room of 100,000
messages (bench.export_memory).

    python -m bench.suite            # everything, about 15 minutes
    python -m bench.suite --quick    # one load per target, fewer messages
"""

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bench import assistant_lag, export_memory, fanout
from bench.fanout import FanoutReport, Load
from bench.plot import bar_chart
from core.layers import DEFAULT_REDIS_URL

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from tests.support.servers import (  # noqa: E402
    Server,
    ServerProcess,
    manage,
    running_server,
    server_env,
)
from tests.support.services import (  # noqa: E402
    created_database,
    postgres_answers,
    postgres_server_url,
)

CHAT = "config.asgi:application"
BARE_CHANNELS = "bench.peers.bare_channels:application"
STARLETTE = "bench.peers.starlette_rooms:application"
RESULTS = BASE_DIR / "bench" / "results"


@dataclass(frozen=True)
class Target:
    label: str
    app: str
    server: Server
    processes: int = 1
    layer: str = "pubsub"  # CHANNEL_LAYER_KIND
    # One server per process on a port of its own, each room's clients all
    # on one of them (a balancer routing by path), instead of one server
    # whose worker processes take connections from a shared socket.
    by_room: bool = False
    # Each client on ws/chat/, subscribed to its room, instead of on ws/chat/{room}/.
    one_connection: bool = False

    def __str__(self) -> str:
        routed = ", by room" if self.by_room else ""
        return f"{self.label}, {self.server} x{self.processes}, {self.layer}{routed}"


@dataclass(frozen=True)
class Result:
    target: Target
    report: FanoutReport


# The floor is the bare consumer on channels-redis's list-based layer, as
# Channels' documentation sets it up; our chat runs on the layer it ships with.
FLOOR = Target("bare Channels", BARE_CHANNELS, "uvicorn", layer="lists")
STARLETTE_PEER = Target("Starlette", STARLETTE, "uvicorn")  # what the chat must stay within 3x of
PER_ROOM = Target("chat", CHAT, "uvicorn")
ONE_CONNECTION = Target("chat on ws/chat/", CHAT, "uvicorn", one_connection=True)
FIXED = [
    PER_ROOM,
    ONE_CONNECTION,
    FLOOR,
    Target("bare Channels", BARE_CHANNELS, "uvicorn"),
    STARLETTE_PEER,
    Target("chat", CHAT, "uvicorn", layer="lists"),
    Target("chat", CHAT, "daphne"),
    Target("chat", CHAT, "granian"),
]
SCALING = [Target("chat", CHAT, "uvicorn", processes) for processes in (1, 2, 4)]
SCALING += [Target("chat", CHAT, "uvicorn", 2, by_room=True)]
# Past what one process delivers, the list-based layer drops what overflows a
# channel's capacity: the chat must recover every message all the same.
OVERFLOWING = Target("chat", CHAT, "uvicorn", layer="lists")
FIXED_LOADS = [Load(1, 50, 10, 0.5), Load(10, 10, 10, 0.5), Load(1, 50, 10, 0.5, idle=1000)]
# About what one process delivers, and past it: what each delivers at most.
SATURATING = [Load(2, 50, 80, 8.0), Load(2, 50, 120, 12.0), Load(2, 50, 160, 16.0)]


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """PostgreSQL if it answers (as production runs), else SQLite; and which."""
    url = postgres_server_url()
    if postgres_answers(url):
        with created_database(url) as database_url:
            yield database_url, "PostgreSQL"
    else:
        with tempfile.TemporaryDirectory() as workdir:
            yield f"sqlite:///{workdir}/bench.sqlite3", "SQLite (no PostgreSQL answered)"


@contextmanager
def serving(target: Target, database_url: str, redis_url: str) -> Iterator[list[ServerProcess]]:
    """
    `target` started afresh with the production settings, its rate limits
    lifted: one server, or with `by_room` one per process, sharing Redis
    and the database.
    """
    with tempfile.TemporaryDirectory() as workdir, ExitStack() as stack:
        env = server_env(
            Path(workdir), settings="config.settings.production", redis_url=redis_url,
            prefix=f"bench-{uuid.uuid4().hex[:8]}",
        )  # fmt: skip
        env.update(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="false",  # no TLS in front of it here
            DATABASE_URL=database_url,
            WEBSOCKET_RATE_PER_CONNECTION="1000000/second",
            WEBSOCKET_RATE_PER_USER="1000000/second",
            CHANNEL_LAYER_KIND=target.layer,
        )
        servers, workers = (target.processes, 1) if target.by_room else (1, target.processes)
        yield [
            stack.enter_context(
                running_server(env, Path(workdir), target.server, target.app, processes=workers)
            )
            for _ in range(servers)
        ]


def run(target: Target, load: Load, database_url: str, redis_url: str) -> FanoutReport:
    with serving(target, database_url, redis_url) as servers:
        urls, pids = (
            [server.ws_url for server in servers],
            [server.process.pid for server in servers],
        )
        offered = replace(load, one_connection=target.one_connection)
        return replace(fanout.run(urls, offered, pids, by_room=target.by_room), load=load)


def others(database_url: str, redis_url: str, export_messages: int) -> list[str]:
    """The assistant's and the export's figures, on the production server."""
    with serving(Target("chat", CHAT, "uvicorn"), database_url, redis_url) as (server,):
        lag = asyncio.run(assistant_lag.measure(server.ws_url))
    # In a process of its own: it sets Django up with a database of its own.
    measured = subprocess.run(
        [sys.executable, "-m", "bench.export_memory", "--json", "--messages", str(export_messages)],
        cwd=BASE_DIR, check=True, capture_output=True, text=True,
    )  # fmt: skip
    export = export_memory.ExportReport(**json.loads(measured.stdout))
    return [
        f"assistant, uvicorn x1: ping while {lag.streams} answers stream: p50 {lag.p50_ms:.1f} ms,"
        f" p99 {lag.p99_ms:.1f} ms, max {lag.max_ms:.1f} ms (idle {lag.idle_ms:.1f} ms)",
        f"export of a {export.messages:,}-message room: peak Python memory"
        f" {export.peak_megabytes:.1f} MB, {export.megabytes_written:.1f} MB written"
        f" in {export.seconds:.1f} s",
    ]


def table(results: list[Result]) -> list[str]:
    """A row per result; CPU per delivery also as a ratio to the floor's and to Starlette's."""

    def cpu_by_load(target: Target) -> dict[Load, float | None]:
        return {r.report.load: r.report.cpu_us_per_delivery for r in results if r.target == target}

    peers = [cpu_by_load(FLOOR), cpu_by_load(STARLETTE_PEER)]
    lines = [f"{'target':<38} {FanoutReport.HEADER}  vs floor  vs Starlette"]
    for result in results:
        target, report = result.target, result.report
        ratios = []
        for peer in peers:
            base, cpu = peer.get(report.load), report.cpu_us_per_delivery
            ratios.append(f"{cpu / base:.2f}x" if base and cpu is not None else "-")
        lines.append(f"{target!s:<38} {report.row()}  {ratios[0]:>8}  {ratios[1]:>12}")
    return lines


def one_connection_ratios(results: list[Result]) -> list[str]:
    """CPU per delivery on ws/chat/ against one connection per room, at each load both ran."""
    per_room = {
        r.report.load: r.report.cpu_us_per_delivery for r in results if r.target == PER_ROOM
    }
    lines = []
    for result in results:
        cpu, load = result.report.cpu_us_per_delivery, result.report.load
        if result.target == ONE_CONNECTION and cpu is not None and (base := per_room.get(load)):
            lines.append(
                f"one connection for all rooms (ws/chat/) vs one per room, {load}:"
                f" CPU per delivery {cpu / base:.2f}x"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one load, fewer messages")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL  # scripts/with-redis saw to it
    fixed_loads = FIXED_LOADS[:1] if args.quick else FIXED_LOADS
    plan = [(target, load) for load in fixed_loads for target in FIXED]
    plan += [(target, load) for load in SATURATING for target in [*SCALING, STARLETTE_PEER]]
    plan += [(OVERFLOWING, SATURATING[0])]
    if args.quick:
        plan = [(target, replace(load, messages=3)) for target, load in plan]
    results: list[Result] = []
    with ExitStack() as stack:
        database_url, database_name = stack.enter_context(database())
        print(f"database: {database_name}; channel layer: Redis at {redis_url}", flush=True)
        settings = {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
        manage({**os.environ, **settings}, "migrate", "--noinput")
        for target, load in plan:
            if target.app == STARLETTE and load.idle:
                continue
            report = run(target, load, database_url, redis_url)
            results.append(Result(target, report))
            print(table(results)[-1], flush=True)
        also = others(database_url, redis_url, 10_000 if args.quick else 100_000)
    print()
    print("\n".join(table(results)))
    print("\n".join(one_connection_ratios(results)))
    print()
    print("\n".join(also))
    RESULTS.mkdir(exist_ok=True)
    chart = RESULTS / "fanout.svg"
    chart.write_text(
        bar_chart(
            "Server CPU per delivered message at 1 x 50, 0.5 message/s per client (us)",
            [
                (
                    f"{r.target.label}, {r.target.server}, {r.target.layer}",
                    r.report.cpu_us_per_delivery or 0.0,
                )
                for r in results
                if r.report.load == fixed_loads[0] and r.target.processes == 1
            ],
        )
    )
    print(f"\nplot: {chart.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
