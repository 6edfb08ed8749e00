"""`manage.py send_notification` reaches clients of every server process."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from websockets.asyncio.client import connect

from tests.support.servers import BASE_DIR, ServerProcess, server_env
from tests.support.services import unique_prefix


def send_notification(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "send_notification", *args],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip


async def test_a_notification_from_another_process_reaches_clients_on_both_servers(
    server_pair: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = server_pair
    async with (
        connect(f"{first.ws_url}/ws/system/") as on_first,
        connect(f"{second.ws_url}/ws/system/") as on_second,
    ):
        for ws in (on_first, on_second):
            await ws.recv()  # authentication
            await ws.recv()  # job_list

        sent = await asyncio.to_thread(
            send_notification,
            first.env,
            "Maintenance at noon",
            "--repeat",
            "2",
            "--interval",
            "0",
            "--level",
            "warning",
        )

        assert sent.returncode == 0, sent.stderr
        for ws in (on_first, on_second):
            received = [json.loads(await ws.recv())["payload"] for _ in range(2)]
            assert [(n["message"], n["level"]) for n in received] == [
                ("Maintenance at noon (1/2)", "warning"),
                ("Maintenance at noon (2/2)", "warning"),
            ]


def test_with_the_in_memory_layer_the_command_says_it_cannot_reach_other_processes(
    tmp_path: Path,
) -> None:
    env = server_env(
        tmp_path, settings="config.settings.test", redis_url=None, prefix=unique_prefix()
    )

    sent = send_notification(env, "Hello")

    assert sent.returncode == 1
    assert "cannot reach clients of a server running in another process" in sent.stderr
