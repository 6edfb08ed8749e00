"""
How chat attachments should reach the server: as one multipart POST over
HTTP, or in binary chunks over a WebSocket. Which costs the server less CPU
per megabyte, and which is faster for the person waiting?

One server process serves both ways at once, as bench.suite starts the
chat's: uvicorn by scripts/serve-production, the production settings,
PostgreSQL and Redis. Its application (bench.upload_socket) is the
project's own, plus a Django view that stores a posted `file` field as the
attachment endpoint does, and a Channels consumer, behind the project's
socket guards, that takes a header frame and then 64 KiB binary frames,
answers every 8th frame with the bytes received so far (for a progress
bar; the client does not wait for these), and stores the file the same
way. For 1 MiB and 20 MiB files, with 1 and with 8 uploads at once, this
client, a process of its own (http.client, and the websockets package),
measures over several rounds of each:

- wall time per upload, from its first byte sent to the server's answer
  that the file is stored (median of every upload);
- throughput: a round's bytes over the round's wall time, in MB/s
  (1 MB = 10^6 bytes; median of the rounds);
- the server process's CPU time (user + system, from /proc) per MB
  uploaded: what says how many uploads one process takes before it
  saturates (median of the rounds).

Each concurrent uploader has a connection of its own, opened before the
clock starts and kept for all its uploads (keep-alive for HTTP, one socket
for the WebSocket), so no figure includes a connection's set-up. Each way
goes first in every other round. Every stored file is checked for its
size, then deleted before the next round. Besides the table: for each file
size, which way is cheaper and by how much; each way's server CPU per upload
split into a fixed part and a part per MB, and the file size at which the
two cost the same; and what the load client itself spent.

    python -m bench.uploads                  # about 40 seconds
    python -m bench.uploads --chunk-kib 256  # larger WebSocket frames
"""

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Barrier
from typing import Literal

import uvloop
from websockets.asyncio.client import ClientConnection, connect

from bench.fanout import cpu_seconds
from bench.suite import Target, database, serving
from core.layers import DEFAULT_REDIS_URL

APP = "bench.upload_socket:application"
PATH = "/bench/upload/"
FOLDER = "bench"  # bench.upload_socket.UPLOAD_FOLDER, under the server's MEDIA_ROOT
ACK_EVERY = 8  # bench.upload_socket.ACK_EVERY: the server's progress frames
MIB = 1024 * 1024
MB = 1_000_000
SIZES = (1 * MIB, 20 * MIB)
CONCURRENCY = (1, 8)
# Each round moves about this much (uploads one after another on each
# connection), so that a round's server CPU time is many clock ticks (10 ms).
ROUND_BYTES = 80 * MIB
BOUNDARY = "relay-bench-" + uuid.uuid4().hex
Way = Literal["HTTP", "WebSocket"]
WAYS: tuple[Way, ...] = ("HTTP", "WebSocket")


@dataclass(frozen=True)
class Round:
    seconds: float
    upload_seconds: list[float]
    cpu_seconds: float
    client_cpu_seconds: float  # this process's, all threads
    bytes: int


@dataclass(frozen=True)
class Case:
    way: Way
    size: int
    concurrency: int
    rounds: list[Round]

    @property
    def uploads(self) -> int:
        return sum(len(r.upload_seconds) for r in self.rounds)

    @property
    def median_upload_ms(self) -> float:
        return statistics.median(s for r in self.rounds for s in r.upload_seconds) * 1000

    @property
    def throughput(self) -> float:
        return statistics.median(r.bytes / r.seconds / MB for r in self.rounds)

    @property
    def cpu_ms_per_mb(self) -> float:
        return statistics.median(r.cpu_seconds / (r.bytes / MB) * 1000 for r in self.rounds)


def multipart(payload: bytes) -> bytes:
    """A multipart/form-data body with `payload` as its one field, `file`."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="attachment.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + payload + f"\r\n--{BOUNDARY}--\r\n".encode()


def http_round(port: int, body: bytes, size: int, concurrency: int, each: int, pid: int) -> Round:
    """`concurrency` keep-alive connections, each posting `body` `each` times in turn."""
    connections = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(concurrency)]
    for connection in connections:
        connection.connect()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    ready = Barrier(concurrency + 1)

    def post_all(connection: http.client.HTTPConnection) -> list[float]:
        ready.wait()
        times = []
        for _ in range(each):
            began = time.perf_counter()
            connection.request("POST", PATH, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            times.append(time.perf_counter() - began)
            if response.status != 201 or json.loads(answer)["size"] != size:
                raise RuntimeError(f"upload refused: {response.status} {answer[:200]!r}")
        return times

    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(post_all, connection) for connection in connections]
        cpu_before, client_before = cpu_seconds([pid]), time.process_time()
        ready.wait()
        began = time.perf_counter()
        times = [t for future in futures for t in future.result()]
        seconds = time.perf_counter() - began
        cpu, client = cpu_seconds([pid]) - cpu_before, time.process_time() - client_before
    for connection in connections:
        connection.close()
    return Round(seconds, times, cpu, client, size * concurrency * each)


async def send_file(socket: ClientConnection, payload: bytes, chunk: int) -> float:
    """One upload on an open socket: header, chunks, then wait for `stored`."""
    began = time.perf_counter()
    await socket.send(json.dumps({"name": "attachment.bin", "size": len(payload)}))

    async def answers() -> int:
        async for message in socket:
            answer = json.loads(message)
            if "stored" in answer:
                return int(answer["stored"])
        raise RuntimeError(f"socket closed mid-upload: {socket.close_code} {socket.close_reason}")

    stored = asyncio.create_task(answers())  # progress acks, then the end
    view = memoryview(payload)
    for offset in range(0, len(payload), chunk):
        await socket.send(view[offset : offset + chunk])
    if await stored != len(payload):
        raise RuntimeError("the server stored another size")
    return time.perf_counter() - began


async def websocket_round(
    port: int, payload: bytes, chunk: int, concurrency: int, each: int, pid: int
) -> Round:
    """`concurrency` sockets, each sending `payload` `each` times in turn, in `chunk`s."""
    url = f"ws://127.0.0.1:{port}{PATH}"
    sockets = [
        await connect(url, max_size=None, compression=None, ping_interval=None)
        for _ in range(concurrency)
    ]

    async def send_all(socket: ClientConnection) -> list[float]:
        return [await send_file(socket, payload, chunk) for _ in range(each)]

    cpu_before, client_before = cpu_seconds([pid]), time.process_time()
    began = time.perf_counter()
    per_socket = await asyncio.gather(*(send_all(socket) for socket in sockets))
    seconds = time.perf_counter() - began
    cpu, client = cpu_seconds([pid]) - cpu_before, time.process_time() - client_before
    await asyncio.gather(*(socket.close() for socket in sockets))
    times = [t for socket_times in per_socket for t in socket_times]
    return Round(seconds, times, cpu, client, len(payload) * concurrency * each)


def check_and_clear(media_root: Path, uploads: int, size: int) -> None:
    """Every upload of the round stored whole; then gone, so the disk does not fill."""
    folder = media_root / FOLDER
    sizes = [entry.stat().st_size for entry in folder.iterdir()]
    if len(sizes) != uploads or set(sizes) != {size}:
        raise RuntimeError(f"expected {uploads} files of {size} bytes, found sizes {sizes}")
    shutil.rmtree(folder)


def measure(port: int, pid: int, media_root: Path, rounds: int, chunk: int) -> list[Case]:
    cases: dict[tuple[Way, int, int], list[Round]] = {}
    for size in SIZES:
        payload = os.urandom(size)
        body = multipart(payload)
        for concurrency in CONCURRENCY:
            each = max(1, round(ROUND_BYTES / (size * concurrency)))
            for number in range(rounds + 1):  # the first, a warm-up, is not kept
                for way in WAYS if number % 2 else reversed(WAYS):  # neither always first
                    if way == "HTTP":
                        measured = http_round(port, body, size, concurrency, each, pid)
                    else:
                        measured = uvloop.run(
                            websocket_round(port, payload, chunk, concurrency, each, pid)
                        )
                    check_and_clear(media_root, concurrency * each, size)
                    if number:
                        cases.setdefault((way, size, concurrency), []).append(measured)
    return [Case(way, size, c, found) for (way, size, c), found in cases.items()]


def table(cases: Sequence[Case]) -> list[str]:
    lines = [
        "| way | file | at once | uploads | wall per upload (median) | throughput "
        "| server CPU per MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in sorted(cases, key=lambda c: (c.size, c.concurrency, c.way)):
        lines.append(
            f"| {case.way} | {case.size // MIB} MiB | {case.concurrency} | {case.uploads} "
            f"| {case.median_upload_ms:.1f} ms | {case.throughput:.0f} MB/s "
            f"| {case.cpu_ms_per_mb:.2f} ms |"
        )
    return lines


def verdict(cases: Sequence[Case]) -> str:
    """For each file size, which way costs the server less CPU per MB, and by how much."""
    cpu = {(c.way, c.size, c.concurrency): c.cpu_ms_per_mb for c in cases}
    parts = []
    for size in SIZES:
        ratios = sorted(cpu["WebSocket", size, c] / cpu["HTTP", size, c] for c in CONCURRENCY)
        mean = statistics.geometric_mean(ratios)
        if ratios[0] < 1 < ratios[-1]:
            parts.append(
                f"{size // MIB} MiB files: neither throughout (WebSocket/HTTP"
                f" {ratios[0]:.2f}x to {ratios[-1]:.2f}x)"
            )
            continue
        cheaper, dearer = ("HTTP", "WebSocket") if mean > 1 else ("WebSocket", "HTTP")
        low, high = (ratios[0], ratios[-1]) if mean > 1 else (1 / ratios[-1], 1 / ratios[0])
        parts.append(
            f"{size // MIB} MiB files: {cheaper}, {dearer} costs {low:.2f}x"
            f"{f' to {high:.2f}x' if f'{high:.2f}' != f'{low:.2f}' else ''} as much"
        )
    return "Cheaper in server CPU per MB: " + "; ".join(parts) + "."


def break_even(cases: Sequence[Case]) -> str:
    """
    Server CPU per upload as a fixed part plus a part per MB, for each way,
    from its two file sizes one at a time; and the size at which the two
    ways cost the same.
    """
    fitted = {}
    for way in WAYS:
        (small, small_cpu), (large, large_cpu) = (
            (c.size / MB, c.cpu_ms_per_mb * c.size / MB)
            for c in sorted(cases, key=lambda c: c.size)
            if c.way == way and c.concurrency == 1
        )
        per_mb = (large_cpu - small_cpu) / (large - small)
        fitted[way] = (small_cpu - per_mb * small, per_mb)
    (http_fixed, http_per_mb), (ws_fixed, ws_per_mb) = fitted["HTTP"], fitted["WebSocket"]
    line = "Server CPU per upload, fitted to the rows of 1 at once: " + ", ".join(
        f"{way} {fixed:.1f} ms + {per_mb:.2f} ms per MB" for way, (fixed, per_mb) in fitted.items()
    )
    if (http_fixed - ws_fixed) * (ws_per_mb - http_per_mb) > 0:
        line += f"; equal at about {(http_fixed - ws_fixed) / (ws_per_mb - http_per_mb):.1f} MB"
    return line + "."


def client_cost(cases: Sequence[Case]) -> str:
    """What this load client itself spent, on the cores it shares with the server."""
    spent = {
        way: statistics.median(
            r.client_cpu_seconds / (r.bytes / MB) * 1000
            for c in cases
            if c.way == way
            for r in c.rounds
        )
        for way in WAYS
    }
    return "Load client CPU per MB (median of all rounds): " + ", ".join(
        f"{way} {ms:.2f} ms" for way, ms in spent.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds per case")
    parser.add_argument(
        "--chunk-kib", type=int, default=64, help="WebSocket binary frame size (KiB)"
    )
    args = parser.parse_args()
    chunk = args.chunk_kib * 1024
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    load = Path("/proc/loadavg").read_text().split()[0]  # others' work on these cores
    began = time.perf_counter()
    with (
        database() as (database_url, database_name),
        serving(Target("uploads", APP, "uvicorn"), database_url, redis_url) as (server,),
    ):
        media_root = Path(server.env["DJANGO_MEDIA_ROOT"])
        cases = measure(server.port, server.process.pid, media_root, args.rounds, chunk)
    print(
        f"Attachment uploads to one uvicorn process (production settings, {database_name},"
        f" Redis at {redis_url}), {os.cpu_count()} CPUs shared with the load client;"
        f" WebSocket in {args.chunk_kib} KiB frames, acknowledged every"
        f" {ACK_EVERY} frames; {args.rounds} rounds per case;"
        f" {time.perf_counter() - began:.0f} s in all; load average {load} before the run."
    )
    print()
    print("\n".join(table(cases)))
    print()
    print(verdict(cases))
    print(break_even(cases))
    print(client_cost(cases))


if __name__ == "__main__":
    main()
