"""
Real ASGI server processes for end-to-end and browser tests.

Each server runs `config.asgi:application` under daphne or uvicorn on a free
loopback port, with its own database file and channel-layer prefix, exactly
as an operator would start it.
"""

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.support.services import unique_prefix

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STARTUP_TIMEOUT = 30.0

Server = Literal["daphne", "uvicorn", "granian"]


@dataclass(frozen=True)
class ServerProcess:
    """A running server: where to reach it and its process."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def origin(self) -> str:
        """The Origin header a page served by this server sends."""
        return self.http_url


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a process to stop (SIGTERM), and kill it if it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(
    server: Server,
    port: int,
    app: str = "config.asgi:application",
    *options: str,
    processes: int = 1,
) -> list[str]:
    """
    daphne as `runserver` runs it, uvicorn as production runs it
    (scripts/serve-production), granian for comparison.
    """
    if server == "daphne":
        assert processes == 1, "daphne runs one process"
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *options, app]
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(processes), "--log-level", "warning",
            *options, app,
        ]  # fmt: skip
    return [
        "env", f"PYTHON={sys.executable}", f"ASGI_APP={app}", f"WEB_CONCURRENCY={processes}",
        str(BASE_DIR / "scripts" / "serve-production"),
        "--host", "127.0.0.1", "--port", str(port), *options,
    ]  # fmt: skip


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command with the server's environment; what it printed."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip


def wait_until_healthy(server: ServerProcess) -> None:
    """Poll /healthz until it answers; fail with the server's log if it dies or hangs."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(
        f"server not healthy after {STARTUP_TIMEOUT} s:\n{server.log_path.read_text()}"
    )


@contextmanager
def running_server(
    env: dict[str, str],
    workdir: Path,
    server: Server = "daphne",
    app: str = "config.asgi:application",
    options: tuple[str, ...] = (),
    processes: int = 1,
) -> Iterator[ServerProcess]:
    """Start a server with `env` (settings, database, Redis), stop it on exit; `options` win."""
    port = free_port()
    log_path = workdir / f"{server}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(server, port, app, *options, processes=processes),
            cwd=BASE_DIR, env=env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    running = ServerProcess("127.0.0.1", port, process, log_path, env)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        stop(process)


def server_env(
    workdir: Path, *, settings: str, redis_url: str | None, prefix: str
) -> dict[str, str]:
    """Environment for a server process: its settings, database and channel layer."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=f"sqlite:///{workdir / 'server.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        CHANNEL_LAYER_PREFIX=prefix,
        CELERY_QUEUE=prefix,
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def migrated_env(
    workdir: Path,
    *,
    redis_url: str | None,
    settings: str = "config.settings.dev",
    **overrides: str,
) -> dict[str, str]:
    """`server_env` with a key prefix of its own and `overrides`, its database migrated."""
    env = server_env(workdir, settings=settings, redis_url=redis_url, prefix=unique_prefix())
    env.update(overrides)
    database = env["DATABASE_URL"].removeprefix("sqlite:///")
    if database == env["DATABASE_URL"]:
        manage(env, "migrate", "--noinput")
    else:
        shutil.copyfile(migrated_sqlite(settings), database)
    return env


@functools.cache
def migrated_sqlite(settings: str) -> Path:
    """
    A SQLite database migrated under `settings`, once per test process:
    each server's database starts as a copy, which takes milliseconds where
    migrating takes seconds.
    """
    folder = Path(tempfile.mkdtemp(prefix="relay-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = server_env(folder, settings=settings, redis_url=None, prefix="migrated")
    manage(env, "migrate", "--noinput")
    return folder / "server.sqlite3"


@contextmanager
def running_worker(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker for the server with `env`, on its queue; stopped on exit."""
    log_path = workdir / f"worker-{free_port()}.log"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
        "--queues", env["CELERY_QUEUE"], "--loglevel", "info",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        stop(process)
