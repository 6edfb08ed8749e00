"""Jobs run in a thread of the server process publish through its event loop."""

import asyncio
import gc

import pytest
from channels.layers import get_channel_layer

from system.runner import publisher_on

EVENT = {"type": "system.forward", "frame": "{}"}


async def test_a_job_thread_publishes_through_the_server_loop() -> None:
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add("jobs.someone", channel)
    publish = publisher_on(asyncio.get_running_loop())

    await asyncio.to_thread(publish, "jobs.someone", EVENT)

    assert await layer.receive(channel) == EVENT


def test_a_job_outliving_the_server_loop_drops_its_events_without_leaking_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.new_event_loop()
    loop.close()
    publish = publisher_on(loop)

    publish("jobs.someone", EVENT)
    gc.collect()  # an unawaited send is reported here, and fails the test

    assert "event loop has stopped" in caplog.text
