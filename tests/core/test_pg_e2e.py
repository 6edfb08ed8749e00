"""
Chat messages stored from the event loop (core.pg), on a real server process
with PostgreSQL: numbered in order, resent safely, stored together when they
come together, and stored still after PostgreSQL dropped every connection;
and a pooled connection's one cursor, still usable after a statement failed.
"""

from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
from websockets.asyncio.client import ClientConnection

from core.pg import LoopConnection
from tests.support.client import receive_action, send_json
from tests.support.rooms import QUIET, joined, send_many
from tests.support.servers import ServerProcess, migrated_env, running_server
from tests.support.services import count_in, loop_pool_backends, postgres_database


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


async def post(ws: ClientConnection, client_ids: list[str]) -> None:
    for client_id in client_ids:
        await send_json(
            ws,
            {
                "action": "new_chat_message",
                "payload": {"message": client_id, "name": "Sender", "client_id": client_id},
            },
        )


async def members(
    stack: AsyncExitStack, server: ServerProcess, room: str, count: int
) -> list[ClientConnection]:
    """`count` clients in `room`, past its history; they may leave with messages unread."""
    joining = [joined(server, room, max_queue=None) for _ in range(count)]
    connections = [await stack.enter_async_context(member) for member in joining]
    for ws in connections:
        await receive_action(ws, "chat_history")
    return connections


async def acknowledged(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next `count` acknowledgements, past the others' messages."""
    ignore = QUIET | {"new_chat_message"}
    return [
        (await receive_action(ws, "message_accepted", ignore=ignore))["payload"]
        for _ in range(count)
    ]


def transactions_that_stored(database_url: str, room: str) -> int:
    """How many transactions inserted the room's messages (rows of one share its xmin)."""
    return count_in(
        database_url,
        "SELECT count(DISTINCT m.xmin::text) FROM chat_message m"
        " JOIN chat_room r ON r.id = m.room_id WHERE r.name = %s",
        [room],
    )


async def test_messages_posted_together_are_stored_together_each_under_its_own_seq(
    server: ServerProcess, database_url: str
) -> None:
    async with AsyncExitStack() as stack:
        clients = await members(stack, server, "loop-batch", 20)
        await post(clients[0], ["opening"])  # which creates the room
        await acknowledged(clients[0], 1)
        sent = {ws: [f"m{n}-{k}" for k in range(5)] for n, ws in enumerate(clients)}
        for ws in clients:
            await post(ws, sent[ws])
        acks = {ws: await acknowledged(ws, 5) for ws in clients}

    for ws in clients:
        assert [ack["client_id"] for ack in acks[ws]] == sent[ws]
        seqs = [ack["seq"] for ack in acks[ws]]
        assert seqs == sorted(seqs)  # each client's in the order it sent them
    assert sorted(ack["seq"] for ws in clients for ack in acks[ws]) == list(range(2, 102))
    assert transactions_that_stored(database_url, "loop-batch") < 101 // 2


async def test_a_resend_among_messages_posted_together_is_acknowledged_as_its_first_copy(
    server: ServerProcess,
) -> None:
    async with AsyncExitStack() as stack:
        clients = await members(stack, server, "loop-rebatch", 10)
        await post(clients[0], ["first"])
        assert (await acknowledged(clients[0], 1))[0]["seq"] == 1
        for n, ws in enumerate(clients):
            await post(ws, ["first" if n == 5 else f"new-{n}", f"next-{n}"])
        acks = {n: await acknowledged(ws, 2) for n, ws in enumerate(clients)}

    assert (acks[5][0]["seq"], acks[5][0]["duplicate"]) == (1, True)
    new = [ack for acked in acks.values() for ack in acked if not ack["duplicate"]]
    assert sorted(ack["seq"] for ack in new) == list(range(2, 21))


async def test_messages_are_stored_after_postgresql_dropped_every_connection(
    server: ServerProcess, database_url: str
) -> None:
    async with joined(server, "loop-failover") as ws:
        await receive_action(ws, "chat_history")
        assert await send_many(ws, 2) == [1, 2]
        drop_every_connection(database_url)
        assert await send_many(ws, 2, start=2) == [3, 4]


async def test_a_pooled_connection_runs_every_statement_on_its_one_cursor(
    database_url: str,
) -> None:
    async with await LoopConnection.connect(database_url, autocommit=True) as connection:
        cursor = connection.statements()
        with pytest.raises(psycopg.errors.DivisionByZero):
            await cursor.execute("SELECT 1 / 0")
        await connection.statements().execute("SELECT %s::int + 1", [1])

        assert await cursor.fetchone() == (2,)
        assert connection.statements() is cursor
