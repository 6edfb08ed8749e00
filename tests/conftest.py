"""Fixtures for tests that need a real server process or a real browser."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.layers import redis_answers
from tests.support.servers import ServerProcess, manage, running_server, server_env
from tests.support.services import require, test_redis_url, unique_prefix


@pytest.fixture(scope="session")
def e2e_redis_url() -> str | None:
    """Redis for server processes; locally they may fall back to the in-memory layer."""
    url = test_redis_url()
    if redis_answers(url):
        return url
    require(os.environ.get("CI") != "true", f"no Redis answers at {url}")
    return None


@pytest.fixture(scope="session")
def server_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def dev_env(server_workdir: Path, e2e_redis_url: str | None) -> dict[str, str]:
    """Environment of a development server (`make run`), with a migrated database."""
    env = server_env(
        server_workdir, settings="config.settings.dev", redis_url=e2e_redis_url,
        prefix=unique_prefix(),
    )  # fmt: skip
    manage(env, "migrate", "--noinput")
    return env


@pytest.fixture(scope="session")
def dev_server(dev_env: dict[str, str], server_workdir: Path) -> Iterator[ServerProcess]:
    """One daphne process serving the project, shared by the end-to-end tests."""
    with running_server(dev_env, server_workdir, "daphne") as server:
        yield server
