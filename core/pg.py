"""
PostgreSQL straight from the event loop, for a statement on a hot path.

Django runs every query in a worker thread (`database_sync_to_async`). For a
chat message, which is one statement, the hop to that thread, the connection
bookkeeping around it and the health check cost three times the statement
itself: about 460 us of CPU against 120 us, measured in one process. And
every query of a server process waits for that one thread, so posts to
different rooms commit one after another.

Here a statement runs on a psycopg async connection pool of the running
event loop, made with the settings of Django's own connection (database,
credentials, adapters), but its parameters are bound by the server and a
statement is prepared the fifth time a connection runs it (psycopg's
default, which Django turns off): PostgreSQL then neither parses nor plans
it again, and psycopg sends the values as they are instead of quoting them
into the SQL. A pooler in transaction mode must then keep prepared
statements (PgBouncer 1.21 and later, with max_prepared_statements), or
OPTIONS["prepare_threshold"] set to None turns preparing off here too.
Nothing here is transactional beyond the statement: code that needs the
ORM or a transaction stays on `database_sync_to_async`.
"""

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg_pool import AsyncConnectionPool

Row = tuple[Any, ...]
T = TypeVar("T")
APPLICATION_NAME = "relay event loop"
PREPARE_THRESHOLD = 5  # runs of a statement on a connection before it is prepared


class LoopConnection(psycopg.AsyncConnection[Row]):
    """
    A connection of the loop pool, with the one cursor that every statement
    on it runs on (whoever holds the connection holds the cursor): a cursor
    made for each statement cost a fifth of the statement's CPU.
    """

    _statements: psycopg.AsyncCursor[Row] | None = None

    def statements(self) -> psycopg.AsyncCursor[Row]:
        if self._statements is None:
            self._statements = self.cursor()
        return self._statements


_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, AsyncConnectionPool[LoopConnection]
] = weakref.WeakKeyDictionary()


@functools.cache
def available(alias: str = "default") -> bool:
    """
    Whether the database is PostgreSQL and the pool is enabled
    (DATABASE_LOOP_POOL_SIZE). Asked once: in the event loop, every task
    that touches `django.db.connections` gets a connection object of its own.
    """
    return connections[alias].vendor == "postgresql" and settings.DATABASE_LOOP_POOL_SIZE > 0


def connection_kwargs(database: BaseDatabaseWrapper) -> dict[str, Any]:
    """psycopg's connect() arguments for Django's `database`, as the pool uses them."""
    params = dict(database.get_connection_params())
    params["cursor_factory"] = psycopg.AsyncCursor
    params["prepare_threshold"] = database.settings_dict["OPTIONS"].get(
        "prepare_threshold", PREPARE_THRESHOLD
    )
    params["autocommit"] = True
    # So that pg_stat_activity tells these connections from the thread's.
    params.setdefault("application_name", APPLICATION_NAME)
    return params


async def pool(alias: str = "default") -> AsyncConnectionPool[LoopConnection]:
    """This event loop's pool, opened on first use."""
    loop = asyncio.get_running_loop()
    found = _pools.get(loop)
    if found is None:
        found = AsyncConnectionPool(
            connection_class=LoopConnection,
            kwargs=connection_kwargs(connections[alias]),
            min_size=1,
            max_size=settings.DATABASE_LOOP_POOL_SIZE,
            open=False,
            name=f"loop-{alias}",
            num_workers=1,
        )
        _pools[loop] = found
        await found.open()
    return found


async def fetchone(sql: str, params: Sequence[Any]) -> Row | None:
    """
    Run one statement in autocommit and return its first row. A connection
    that broke while idle (the server restarted, say) is replaced and the
    statement run once more.
    """
    return await _run(sql, params, psycopg.AsyncCursor.fetchone)


async def fetchall(sql: str, params: Sequence[Any]) -> list[Row]:
    """`fetchone`, returning every row."""
    return await _run(sql, params, psycopg.AsyncCursor.fetchall)


async def _run(
    sql: str, params: Sequence[Any], fetch: Callable[[psycopg.AsyncCursor[Row]], Awaitable[T]]
) -> T:
    loop_pool = await pool()
    try:
        return await _run_on(loop_pool, sql, params, fetch)
    except psycopg.OperationalError:
        await loop_pool.check()  # drop every other broken idle connection too
        return await _run_on(loop_pool, sql, params, fetch)


async def _run_on(
    loop_pool: AsyncConnectionPool[LoopConnection],
    sql: str,
    params: Sequence[Any],
    fetch: Callable[[psycopg.AsyncCursor[Row]], Awaitable[T]],
) -> T:
    # getconn/putconn rather than `connection()`: nothing here opens a
    # transaction for the context manager to end, and a connection that broke
    # is replaced by putconn all the same.
    connection = await loop_pool.getconn()
    try:
        cursor = connection.statements()
        await cursor.execute(sql, params)
        return await fetch(cursor)
    finally:
        await loop_pool.putconn(connection)


async def close_pools() -> None:
    """Close this event loop's pool, if it has one (at server shutdown)."""
    found = _pools.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()
