"""
The production server runs the ASGI lifespan protocol: as it stops, the
event loop's PostgreSQL pool (core.pg) is closed, not left to the loop's end.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.client import receive_action
from tests.support.rooms import joined, send_many
from tests.support.servers import migrated_env, running_server, stop
from tests.support.services import loop_pool_backends, postgres_database


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def test_the_server_closes_the_pool_in_its_lifespan_shutdown(
    tmp_path: Path, e2e_redis_url: str | None, database_url: str
) -> None:
    env = migrated_env(tmp_path, redis_url=e2e_redis_url, DATABASE_URL=database_url)
    with running_server(env, tmp_path, "uvicorn") as running:
        # A message opens the pool; the server is then stopped as a deploy would.
        async def post() -> None:
            async with joined(running, "loop-stop") as ws:
                await receive_action(ws, "chat_history")
                await send_many(ws, 1)

        asyncio.run(post())
        assert loop_pool_backends(database_url) >= 1
        stop(running.process)
        log = running.log_path.read_text()
    assert "Application shutdown complete" in log
    assert "Traceback" not in log, log
    assert "was destroyed" not in log, log
