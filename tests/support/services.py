"""
External services and tools some tests need (Redis, PostgreSQL, Chromium, Node).

On a developer's machine a missing one skips the tests that need it, with a
reason that says what is missing. In CI (CI=true) nothing may be skipped:
the same test fails instead.
"""

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from core.layers import redis_answers, redis_layer

BASE_DIR = Path(settings.BASE_DIR)


def require(available: bool, missing: str) -> None:
    """Skip the calling test (fail it in CI) unless `available`."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}; CI runs every test, so this is a failure")
    pytest.skip(missing)


def test_redis_url() -> str:
    """The Redis the tests use: a database of its own, so runs don't collide."""
    return str(settings.TEST_REDIS_URL)


def require_redis() -> str:
    """The test Redis URL, once Redis is known to answer."""
    url = test_redis_url()
    require(redis_answers(url), f"no Redis answers at {url} (set TEST_REDIS_URL)")
    return url


def unique_prefix() -> str:
    """A channel-layer key prefix no other test or run shares."""
    return f"relay-test-{uuid.uuid4().hex[:12]}"


def redis_test_layer(
    prefix: str | None = None, kind: str = "lists"
) -> dict[str, dict[str, object]]:
    """CHANNEL_LAYERS for the test Redis, under a prefix of its own."""
    return {"default": redis_layer(test_redis_url(), prefix=prefix or unique_prefix(), kind=kind)}


def chromium_path() -> str | None:
    """Debian's Chromium, or the one CHROMIUM_PATH names."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def require_chromium() -> str:
    path = chromium_path()
    require(path is not None, "Chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


def require_node_modules() -> Path:
    """The project's node_modules, installed by `npm ci`."""
    modules = BASE_DIR / "node_modules"
    require(shutil.which("node") is not None, "Node.js is not installed")
    require((modules / "@asyncapi").is_dir(), "node_modules is missing (run `npm ci`)")
    return modules


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def postgres_server_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on TEST_POSTGRES_URL's server; dropped afterwards."""
    url = postgres_server_url()
    require(postgres_answers(url), f"no PostgreSQL answers at {url} (set TEST_POSTGRES_URL)")
    with created_database(url) as database_url:
        yield database_url


def count_in(database_url: str, sql: str, params: list[object]) -> int:
    """The number a counting query finds in the database at `database_url`."""
    import psycopg

    with psycopg.connect(database_url) as admin:
        row = admin.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def loop_pool_backends(database_url: str) -> int:
    """How many connections of server event loops' pools (core.pg) the database has."""
    from core.pg import APPLICATION_NAME

    return count_in(
        database_url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = %s",
        [APPLICATION_NAME],
    )


@contextmanager
def created_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of `url`; dropped afterwards."""
    import psycopg

    name = unique_prefix().replace("-", "_")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A Redis of this test's own, so killing it disturbs nothing else."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    assert binary is not None
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while subprocess.run([binary.replace("server", "cli"), "-p", str(port), "ping"],
                         capture_output=True).stdout.strip() != b"PONG":  # fmt: skip
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    try:
        yield process
    finally:
        process.kill()
        process.wait()
