from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from chat.presence import memory_store
from tests.support.servers import ServerProcess, migrated_env, running_server
from tests.support.services import postgres_database


@pytest.fixture(autouse=True)
def empty_presence_registry() -> None:
    """The in-process presence registry outlives a test's event loop; start each test empty."""
    memory_store.clear()


@pytest.fixture
def ann(db: None) -> User:
    return User.objects.create_user("ann")


@pytest.fixture
def ben(db: None) -> User:
    return User.objects.create_user("ben")


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory, e2e_redis_url: str | None
) -> Iterator[ServerProcess]:
    """A development server on a PostgreSQL database of its own, for one test module."""
    workdir = tmp_path_factory.mktemp("pg-server")
    with postgres_database() as database_url:
        env = migrated_env(workdir, redis_url=e2e_redis_url, DATABASE_URL=database_url)
        with running_server(env, Path(workdir)) as server:
            yield server
