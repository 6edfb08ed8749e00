"""
`make run` and the scripts it runs, started as a user starts them: in a
session of their own, as a terminal would, their output read as it comes.
"""

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import BASE_DIR

STARTUP_TIMEOUT = 90.0


class Command:
    """A running command, its output gathered line by line by a thread."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path = BASE_DIR) -> None:
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as output:
            for line in output:
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for_line(self, wanted: Callable[[str], bool], timeout: float = STARTUP_TIMEOUT) -> str:
        """The first line of output that is `wanted`, once there is one."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if wanted(line):
                        return line
                remaining = deadline - time.monotonic()
                if self.ended or remaining <= 0:
                    state = "ended" if self.ended else f"still running after {timeout} s"
                    raise AssertionError(f"no such line, output {state}:\n{self.output}")
                self._changed.wait(remaining)

    def wait_for_exit(self, timeout: float) -> int:
        """The exit status; fails, stopping the command, if it runs longer than `timeout`."""
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"still running after {timeout} s:\n{self.output}") from None
        with self._changed:
            self._changed.wait_for(lambda: self.ended, timeout=10)
        return status

    def session(self) -> list[str]:
        """The command lines of the processes still running in the command's session."""
        alive = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == self.process.pid and fields[0] != "Z":
                    alive.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" "))
            except (OSError, IndexError, ValueError):
                continue  # gone while being read
        return [command.decode(errors="replace").strip() for command in alive]

    def stop(self) -> None:
        """Ctrl-C, as a terminal sends it to the whole session; then SIGKILL if need be."""
        for sig, grace in ((signal.SIGINT, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def running(argv: Sequence[str], env: dict[str, str], cwd: Path = BASE_DIR) -> Iterator[Command]:
    command = Command(argv, env, cwd)
    try:
        yield command
    finally:
        command.stop()


def answers(url: str) -> bool:
    """Whether an HTTP server answers at `url`, whatever its status."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def wait_until_answering(command: Command, url: str, timeout: float = STARTUP_TIMEOUT) -> None:
    """Polls `url` until a server answers; fails with the output if the command ends first."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if command.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"nothing answered at {url}:\n{command.output}")
        time.sleep(0.1)
