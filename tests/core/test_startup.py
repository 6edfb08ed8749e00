"""The start-up report tells the operator which platform choices were made."""

import logging

from django.test import override_settings

from core.layers import IN_MEMORY_LAYER, redis_layer
from core.startup import startup_report
from tests.support.servers import ServerProcess


@override_settings(
    CHANNEL_LAYERS={"default": IN_MEMORY_LAYER},
    CHANNEL_LAYER_SUMMARY="channel layer: IN-MEMORY, ...",
)
def test_the_in_memory_fallback_is_reported_as_a_warning() -> None:
    level, line = startup_report()[0]

    assert level == logging.WARNING
    assert line == "channel layer: IN-MEMORY, ..."


@override_settings(
    CHANNEL_LAYERS={"default": redis_layer("redis://cache:6379/0", prefix="relay")},
    CHANNEL_LAYER_SUMMARY="channel layer: Redis at redis://cache:6379/0 (from REDIS_URL)",
)
def test_a_redis_layer_is_reported_as_information() -> None:
    assert startup_report()[0] == (
        logging.INFO,
        "channel layer: Redis at redis://cache:6379/0 (from REDIS_URL)",
    )


def test_a_running_server_logs_its_channel_layer_once_at_start_up(
    dev_server: ServerProcess, e2e_redis_url: str | None
) -> None:
    log = dev_server.log_path.read_text()

    expected = f"channel layer: Redis at {e2e_redis_url}" if e2e_redis_url else "IN-MEMORY"
    assert log.count("channel layer:") == 1
    assert expected in log
