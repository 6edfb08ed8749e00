"""Jobs on a real Celery worker with the real Redis broker, driven over a real WebSocket."""

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support.servers import (
    ServerProcess,
    migrated_env,
    running_server,
    running_worker,
)


@asynccontextmanager
async def listening(server: ServerProcess) -> AsyncIterator[tuple[ClientConnection, list[Any]]]:
    async with connect(f"{server.ws_url}/ws/system/") as ws:
        assert json.loads(await ws.recv())["action"] == "authentication"
        listing = json.loads(await ws.recv())
        assert listing["action"] == "job_list"
        yield ws, listing["payload"]["jobs"]


async def frames_until_result(ws: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = json.loads(await ws.recv())
        frames.append(frame)
        if frame["action"] == "job_result":
            return frames


async def start(ws: ClientConnection, task_type: str, content: str) -> str:
    await ws.send(
        json.dumps(
            {"action": "system_message", "payload": {"task_type": task_type, "content": content}}
        )
    )
    queued = json.loads(await ws.recv())
    assert queued["action"] == "job_queued", queued
    return str(queued["payload"]["job_id"])


async def test_a_job_runs_on_the_worker_from_queued_through_progress_to_result(
    dev_server: ServerProcess, dev_worker: Any
) -> None:
    async with listening(dev_server) as (ws, _):
        await start(ws, "analyze", "red green red blue red")
        frames = await frames_until_result(ws)

    assert {f["action"] for f in frames[:-1]} == {"job_progress"}
    assert frames[-1]["payload"]["status"] == "succeeded"
    assert frames[-1]["payload"]["result"]["top_words"][0] == ["red", 3]


async def test_cancel_reaches_a_job_running_on_the_worker(
    dev_server: ServerProcess, dev_worker: Any
) -> None:
    async with listening(dev_server) as (ws, _):
        job_id = await start(ws, "analyze", "words " * 100)
        assert json.loads(await ws.recv())["action"] == "job_progress"
        await ws.send(json.dumps({"action": "cancel_job", "payload": {"job_id": job_id}}))
        frames = await frames_until_result(ws)

    assert frames[-1]["payload"]["status"] == "cancelled"


@pytest.fixture
def short_lived(tmp_path: Path, shared_redis_url: str) -> dict[str, str]:
    env = migrated_env(
        tmp_path, redis_url=shared_redis_url, JOB_STALE_AFTER="2", JOB_STEP_DELAY="1"
    )
    return env


async def test_a_job_whose_worker_is_killed_ends_as_failed_not_pending_forever(
    short_lived: dict[str, str], tmp_path: Path
) -> None:
    with (
        running_server(short_lived, tmp_path) as server,
        running_worker(short_lived, tmp_path) as worker,
    ):
        async with listening(server) as (ws, _):
            await start(ws, "analyze", "some words to count")
            assert json.loads(await ws.recv())["action"] == "job_progress"

            worker.kill()
            killed_at = time.monotonic()
            result = (await frames_until_result(ws))[-1]["payload"]

    assert result["status"] == "failed"
    assert result["error"] == "The worker running this job stopped before it finished."
    assert time.monotonic() - killed_at < 2 * 2 + 2, "found within about twice the stale time"


async def test_a_client_that_reconnects_after_the_job_finished_still_gets_the_result(
    dev_server: ServerProcess, dev_worker: Any, tmp_path: Path
) -> None:
    cookie = await browser_cookie(dev_server)
    headers = {"Cookie": cookie}
    async with connect(f"{dev_server.ws_url}/ws/system/", additional_headers=headers) as ws:
        json.loads(await ws.recv())
        json.loads(await ws.recv())
        job_id = await start(ws, "analyze", "gone before the end")
    async with connect(f"{dev_server.ws_url}/ws/system/", additional_headers=headers) as ws:
        json.loads(await ws.recv())
        listing = json.loads(await ws.recv())
        jobs = {job["job_id"]: job for job in listing["payload"]["jobs"]}
        while jobs[job_id]["status"] != "succeeded":
            frame = json.loads(await ws.recv())
            jobs[frame["payload"]["job_id"]] = frame["payload"]

    assert jobs[job_id]["result"]["words"] == 4


async def browser_cookie(server: ServerProcess) -> str:
    """The session cookie a browser gets from the /system/ page."""

    def fetch() -> str:
        with urllib.request.urlopen(f"{server.http_url}/system/") as response:
            return str(response.headers["Set-Cookie"])

    cookie = await asyncio.to_thread(fetch)
    assert cookie.startswith("sessionid=")
    return cookie.split(";", 1)[0]
