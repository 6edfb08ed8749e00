"""
Chat messages stored from the event loop (core.pg), on a real server process
with PostgreSQL: numbered in order, resent safely, and stored still after
PostgreSQL dropped every connection.
"""

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.client import receive_action, send_json
from tests.support.rooms import QUIET, joined, send_many
from tests.support.servers import ServerProcess, migrated_env, running_server
from tests.support.services import loop_pool_backends, postgres_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, e2e_redis_url: str | None, database_url: str
) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("pg")
    env = migrated_env(workdir, redis_url=e2e_redis_url, DATABASE_URL=database_url)
    with running_server(env, Path(workdir)) as running:
        yield running


def drop_every_connection(database_url: str) -> None:
    """What a PostgreSQL restart or failover does to the server's connections."""
    with psycopg.connect(database_url) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def test_a_clients_messages_are_numbered_in_the_order_it_sent_them(
    server: ServerProcess, database_url: str
) -> None:
    async with joined(server, "loop-pool") as ws:
        await receive_action(ws, "chat_history")
        # Sent without waiting: the pool could store them side by side.
        assert await send_many(ws, 40) == list(range(1, 41))
    assert loop_pool_backends(database_url) >= 1


async def test_a_resent_message_is_acknowledged_as_its_first_copy(server: ServerProcess) -> None:
    async with joined(server, "loop-resend") as ws:
        await receive_action(ws, "chat_history")
        assert await send_many(ws, 2) == [1, 2]
        await send_json(
            ws,
            {
                "action": "new_chat_message",
                "payload": {"message": "m0", "name": "Sender", "client_id": "c0"},
            },
        )
        ack = await receive_action(ws, "message_accepted", ignore=QUIET)
        assert ack["payload"]["seq"] == 1
        assert ack["payload"]["duplicate"] is True
        assert await send_many(ws, 1, start=2) == [3]


async def test_messages_are_stored_after_postgresql_dropped_every_connection(
    server: ServerProcess, database_url: str
) -> None:
    async with joined(server, "loop-failover") as ws:
        await receive_action(ws, "chat_history")
        assert await send_many(ws, 2) == [1, 2]
        drop_every_connection(database_url)
        assert await send_many(ws, 2, start=2) == [3, 4]
