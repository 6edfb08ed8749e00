"""scripts/port-free: whether a server could listen on HOST PORT, and if not, why."""

import re
import socket
import subprocess
from collections.abc import Iterator

import pytest

from tests.support.servers import BASE_DIR, free_port

SCRIPT = str(BASE_DIR / "scripts" / "port-free")


def port_free(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


def test_a_port_nothing_listens_on_is_free() -> None:
    result = port_free("127.0.0.1", str(free_port()))

    assert (result.returncode, result.stderr) == (0, "")


def test_a_taken_port_is_refused_with_a_free_one_to_pick(listening: socket.socket) -> None:
    port = listening.getsockname()[1]

    result = port_free("127.0.0.1", str(port))

    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is taken" in result.stderr
    suggested = re.search(r"Pick another: PORT=(\d+) make run", result.stderr)
    assert suggested is not None, result.stderr
    assert port_free("127.0.0.1", suggested.group(1)).returncode == 0


def test_a_port_taken_on_every_address_is_taken_on_loopback_too() -> None:
    with socket.socket() as everywhere:
        everywhere.bind(("0.0.0.0", 0))
        everywhere.listen()
        port = everywhere.getsockname()[1]

        assert port_free("127.0.0.1", str(port)).returncode == 1
        assert port_free("localhost", str(port)).returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("127.0.0.1", "eighty"), "PORT=eighty is not a port number"),
        (("127.0.0.1", "70000"), "PORT=70000 is not a port number"),
        (("no-such-host.invalid", "8000"), "HOST=no-such-host.invalid is not an address"),
        (("127.0.0.1",), "usage: scripts/port-free HOST PORT"),
    ],
)
def test_bad_input_gets_a_clear_error_not_a_traceback(args: tuple[str, ...], message: str) -> None:
    result = port_free(*args)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
