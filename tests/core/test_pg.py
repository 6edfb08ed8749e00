from typing import Any

import psycopg
from django.db.utils import ConnectionHandler

from core.pg import PREPARE_THRESHOLD, connection_kwargs


def postgresql(**options: Any) -> Any:
    return ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "OPTIONS": options}}
    )["default"]


def test_the_pool_binds_on_the_server_and_prepares_what_it_runs_often() -> None:
    kwargs = connection_kwargs(postgresql())
    assert kwargs["cursor_factory"] is psycopg.AsyncCursor
    assert kwargs["prepare_threshold"] == PREPARE_THRESHOLD
    assert kwargs["autocommit"] is True


def test_a_database_set_up_for_a_pooler_without_prepared_statements_keeps_them_off() -> None:
    assert connection_kwargs(postgresql(prepare_threshold=None))["prepare_threshold"] is None
