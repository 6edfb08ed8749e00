"""
`make run`: nothing starts on a port that is taken, and the page to open is
named once the server answers.
"""

import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scripts.commands import Command, answers, running
from tests.support.servers import free_port, migrated_env

# A refusal is a bind and a message; seconds would mean something started.
REFUSAL_TIMEOUT = 10.0


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port some other server listens on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path, e2e_redis_url: str | None) -> dict[str, str]:
    """A development server's environment; with Redis, jobs would go to a Celery worker."""
    return migrated_env(tmp_path, redis_url=e2e_redis_url)


def assert_refused_and_started_nothing(command: Command, port: int) -> None:
    started = time.monotonic()
    status = command.wait_for_exit(timeout=REFUSAL_TIMEOUT)

    assert status != 0
    assert time.monotonic() - started < REFUSAL_TIMEOUT
    assert f"Port {port} on 127.0.0.1 is taken" in command.output
    assert "make run" in command.output.split("Pick another: PORT=", 1)[1].splitlines()[0]
    assert "Celery worker" not in command.output
    assert command.session() == []


def test_a_second_make_run_on_a_taken_port_exits_at_once_and_starts_nothing(
    taken_port: int, env: dict[str, str]
) -> None:
    argv = ["make", "run", "HOST=127.0.0.1", f"PORT={taken_port}"]
    with running(argv, env) as command:
        assert_refused_and_started_nothing(command, taken_port)


def test_the_server_script_refuses_a_taken_port_before_it_starts_a_worker(
    taken_port: int, env: dict[str, str]
) -> None:
    with running(["scripts/serve", f"127.0.0.1:{taken_port}"], env) as command:
        assert_refused_and_started_nothing(command, taken_port)


def open_line(command: Command) -> str:
    return command.wait_for_line(lambda line: line.startswith("==> Open "))


def test_the_page_to_open_is_named_once_the_server_answers_and_it_is_the_chat(
    env: dict[str, str],
) -> None:
    port = free_port()
    env["JOBS_BACKEND"] = "inprocess"
    with running(["scripts/serve", f"127.0.0.1:{port}"], env) as command:
        url = open_line(command).split()[2]

        assert answers(f"http://127.0.0.1:{port}/healthz"), "named before the server answers"
        assert url == f"http://127.0.0.1:{port}/chat/"
        assert_serves(url)


def assert_serves(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.status == 200
