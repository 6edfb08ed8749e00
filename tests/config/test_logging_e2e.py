"""
Each request is logged once, by a real server: one line per HTTP request and
one per WebSocket handshake and close, readable under `make run`, a JSON
object a line under production settings.
"""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from core.layers import DEFAULT_REDIS_URL
from tests.scripts.commands import Command, answers, running, wait_until_answering
from tests.support.servers import BASE_DIR, free_port, manage, migrated_env, server_env
from tests.support.services import unique_prefix

# Paths no other request of the test names: a page that does not exist, a
# socket that echoes, and a last request after which every line is written.
PAGE = "/logging-probe/"
SOCKET = "/ws/system/echo/"
LAST = "/last-request/"


def lines_naming(command: Command, path: str, count: int) -> list[str]:
    """The lines of output that name `path`, once they are known to be `count`."""
    lines = [line for line in command.lines if path in line]
    assert len(lines) == count, f"{len(lines)} lines name {path}:\n{command.output}"
    return lines


def request_page_and_socket(base: str) -> None:
    """One HTTP request, one WebSocket opened and closed, then the last request."""
    assert answers(f"http://{base}{PAGE}")

    async def open_and_close() -> None:
        async with connect(f"ws://{base}{SOCKET}", origin=Origin(f"http://{base}")) as ws:
            await ws.recv()

    asyncio.run(open_and_close())
    assert answers(f"http://{base}{LAST}")


def is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


@pytest.fixture
def dev_server(tmp_path: Path, e2e_redis_url: str | None) -> Iterator[tuple[Command, str]]:
    """The server `make run` starts (scripts/serve), and its address."""
    env = migrated_env(tmp_path, redis_url=e2e_redis_url, JOBS_BACKEND="inprocess")
    base = f"127.0.0.1:{free_port()}"
    with running(["scripts/serve", base], env) as command:
        wait_until_answering(command, f"http://{base}/healthz")
        yield command, base


def test_make_run_logs_each_request_once_in_a_readable_line(
    dev_server: tuple[Command, str],
) -> None:
    command, base = dev_server

    request_page_and_socket(base)
    command.wait_for_line(lambda line: LAST in line)

    [page] = lines_naming(command, PAGE, 1)
    assert f"GET {PAGE} 404" in page
    opened, closed = lines_naming(command, SOCKET, 2)
    assert "CONNECT" in opened
    assert "DISCONNECT" in closed
    assert not any(is_json(line) for line in command.lines)


@pytest.fixture
def production_server(tmp_path: Path, e2e_redis_url: str | None) -> Iterator[tuple[Command, str]]:
    """scripts/serve-production under production settings, and its address."""
    env = server_env(
        tmp_path, settings="config.settings.production",
        redis_url=e2e_redis_url or DEFAULT_REDIS_URL, prefix=unique_prefix(),
    )  # fmt: skip
    env.update(
        DJANGO_SECRET_KEY="a-long-random-production-secret-for-tests-only-0123456789abcdef",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    manage(env, "migrate", "--noinput")
    port = free_port()
    argv = [
        str(BASE_DIR / "scripts" / "serve-production"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running(argv, env) as command:
        wait_until_answering(command, f"http://127.0.0.1:{port}/healthz")
        yield command, f"127.0.0.1:{port}"


def test_production_logs_each_request_once_as_a_json_line(
    production_server: tuple[Command, str],
) -> None:
    command, base = production_server

    request_page_and_socket(base)
    command.wait_for_line(lambda line: LAST in line)

    assert all(is_json(line) for line in command.lines if line.strip()), command.output
    [page] = [json.loads(line) for line in lines_naming(command, PAGE, 1)]
    assert (page["method"], page["path"], page["status"]) == ("GET", PAGE, 404)
    opened, closed = [json.loads(line) for line in lines_naming(command, SOCKET, 2)]
    assert opened["path"] == closed["path"] == SOCKET
    assert "accepted" in opened["event"]
    assert closed["code"] == 1000
