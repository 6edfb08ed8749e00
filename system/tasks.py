"""Celery tasks: the worker's side of background jobs."""

from typing import Any

from asgiref.sync import async_to_sync
from celery import shared_task

from system import notifications
from system.runner import run_job


def publish(group: str, event: dict[str, Any]) -> None:
    async_to_sync(notifications.send)(group, event)


@shared_task(name="system.run_job")  # type: ignore[untyped-decorator]
def run_job_task(job_id: str) -> None:
    run_job(job_id, publish)
