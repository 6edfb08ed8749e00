"""Jobs run in a thread of the server process publish through its event loop."""

import asyncio
import gc
import json
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import User

from system.models import Job
from system.runner import publisher_on, run_job

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


@pytest.mark.django_db
def test_a_job_deleted_while_it_runs_stops_quietly_and_tells_no_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner = User.objects.create_user("leaving")
    job = Job.objects.create(owner=owner, task_type="analyze", content="some words to count")
    published: list[str] = []

    def publish(group: str, event: dict[str, Any]) -> None:
        published.append(json.loads(event["frame"])["action"])
        owner.delete()  # the account goes, and its jobs with it

    assert run_job(str(job.pk), publish) is None
    assert published == ["job_progress"]
    assert not Job.objects.exists()
    assert [r.levelname for r in caplog.records if r.name == "relay.jobs"] == ["INFO"]
