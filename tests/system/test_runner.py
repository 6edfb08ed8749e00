"""
Running a job: a job thread publishes through the server's event loop, and a
job deleted with its owner stops and leaves no files behind.
"""

import asyncio
import gc
import json
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser, User

from chat import services as chat_services
from chat.participants import Participant
from system.jobs import export_path
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


def post(room_name: str, body: str) -> None:
    author = Participant(key="guest:w", name="Writer", guest=True)
    chat_services.post_message(
        room_name=room_name, author=author, user=AnonymousUser(), body=body, client_id="c1"
    )


def export_files(job: Job) -> list[bool]:
    return [export_path(str(job.pk), extension).exists() for extension in ("md", "json")]


@pytest.mark.django_db
def test_deleting_a_finished_export_deletes_its_files() -> None:
    owner = User.objects.create_user("exporter")
    post(room_name="lobby", body="hello")
    job = Job.objects.create(owner=owner, task_type="export_transcript", content="lobby")
    finished = run_job(str(job.pk), lambda group, event: None)
    assert finished is not None
    assert finished.status == Job.Status.SUCCEEDED
    assert export_files(job) == [True, True]

    owner.delete()

    assert export_files(job) == [False, False]


@pytest.mark.django_db
def test_an_export_deleted_while_it_writes_leaves_no_files() -> None:
    owner = User.objects.create_user("leaving-exporter")
    post(room_name="lobby", body="hello")
    job = Job.objects.create(owner=owner, task_type="export_transcript", content="lobby")

    def publish(group: str, event: dict[str, Any]) -> None:
        owner.delete()  # after the start is reported, before the export opens its files

    assert run_job(str(job.pk), publish) is None
    assert export_files(job) == [False, False]
