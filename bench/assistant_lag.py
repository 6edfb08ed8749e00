"""
Event-loop lag under streaming: while N assistant answers stream at once, how
long does a ping on another connection take to come back?

A handler that blocked the event loop (a synchronous LLM client iterated inside
`async def`, say) would hold every ping for the length of an answer.

    python -m bench.assistant_lag                      # starts its own daphne
    python -m bench.assistant_lag --url ws://127.0.0.1:8000 --streams 20
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

QUESTION = "How do I broadcast to a group?"
PING_EVERY = 0.05


@dataclass(frozen=True)
class LagReport:
    streams: int
    pings: int
    idle_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    stream_seconds: float

    def lines(self) -> list[str]:
        return [
            f"streams at once        {self.streams}",
            f"pings while streaming  {self.pings}",
            f"ping, idle server      {self.idle_ms:.1f} ms",
            f"ping p50 / p99 / max   {self.p50_ms:.1f} / {self.p99_ms:.1f} / {self.max_ms:.1f} ms",
            f"answers took           {self.stream_seconds:.1f} s",
        ]


async def frames_until(ws: ClientConnection, action: str) -> None:
    while json.loads(await ws.recv())["action"] != action:
        pass


async def ping(ws: ClientConnection) -> float:
    started = time.perf_counter()
    await ws.send(json.dumps({"action": "ping"}))
    await frames_until(ws, "pong")
    return (time.perf_counter() - started) * 1000


async def stream_one(url: str, started: asyncio.Event, count: list[int], total: int) -> None:
    async with connect(f"{url}/ws/assistants/") as ws:
        await frames_until(ws, "conversation_state")
        await ws.send(json.dumps({"action": "assistant_message", "payload": QUESTION}))
        await frames_until(ws, "streaming")
        count[0] += 1
        if count[0] == total:
            started.set()
        await frames_until(ws, "complete_streaming")


async def measure(url: str, streams: int = 20, ping_every: float = PING_EVERY) -> LagReport:
    """Ping on one connection while `streams` answers stream on others.

    The default probe rate is above a server's default per-connection rate
    limit; the server this module starts lifts it, others need `ping_every`
    of 0.2 s or more.
    """
    async with connect(f"{url}/ws/assistants/") as prober:
        await frames_until(prober, "conversation_state")
        idle = statistics.median([await ping(prober) for _ in range(20)])
        started, count = asyncio.Event(), [0]
        began = time.perf_counter()
        answers = asyncio.gather(
            *(stream_one(url, started, count, streams) for _ in range(streams))
        )
        await started.wait()
        lags = []
        while not answers.done():
            lags.append(await ping(prober))
            await asyncio.sleep(ping_every)  # a steady probe, not a load of its own
        await answers
        took = time.perf_counter() - began
    lags.sort()
    return LagReport(
        streams=streams,
        pings=len(lags),
        idle_ms=idle,
        p50_ms=statistics.median(lags),
        p99_ms=lags[min(len(lags) - 1, int(len(lags) * 0.99))],
        max_ms=lags[-1],
        stream_seconds=took,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--url", help="ws://host:port of a running server (default: start one)")
    parser.add_argument("--streams", type=int, default=20)
    args = parser.parse_args()
    if args.url:
        report = asyncio.run(measure(args.url, args.streams))
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        # The server helpers read the project's settings (BASE_DIR) on import.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        from tests.support.servers import manage, running_server, server_env

        with tempfile.TemporaryDirectory() as workdir:
            env = server_env(
                Path(workdir), settings="config.settings.dev", redis_url=None, prefix="bench"
            )
            env.update(WEBSOCKET_RATE_PER_CONNECTION="1000/second")
            manage(env, "migrate", "--noinput")
            with running_server(env, Path(workdir)) as server:
                report = asyncio.run(measure(server.ws_url, args.streams))
    print("\n".join(report.lines()))


if __name__ == "__main__":
    main()
