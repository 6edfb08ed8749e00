"""
Running a job, wherever it runs: on a Celery worker, or in a thread of the
server process when no broker is configured. Either way the job's owner hears
of every step through the channel layer.
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from system import notifications, services
from system.jobs import JOBS, JobCancelled, JobFailed, remove_exports
from system.models import Job

logger = logging.getLogger("relay.jobs")

Publish = Callable[[str, dict[str, Any]], None]
"""Sends one channel-layer event to a group, synchronously."""

_in_process = ThreadPoolExecutor(max_workers=2, thread_name_prefix="job")


def run_job(job_id: str, publish: Publish) -> Job | None:
    """
    Run a queued job to its end (succeeded, failed or cancelled); its final
    state. None if the job was deleted (with its owner) before it ended:
    there is no one left to tell.
    """
    try:
        return _run(job_id, publish)
    except Job.DoesNotExist:
        logger.info("Job %s was deleted while it ran; stopped", job_id)
        remove_exports(job_id)  # what it wrote after its row was deleted
        return None


def _run(job_id: str, publish: Publish) -> Job:
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.QUEUED:
        publish(*notifications.job_event(job))  # cancelled before it started
        return job

    def report(percent: int, message: str) -> None:
        publish(*notifications.job_event(services.report_progress(job_id, percent, message)))

    try:
        report(0, "Started")
        result = JOBS[job.task_type](job.content, report, job_id=str(job.pk))
        final = services.finish_job(job_id, Job.Status.SUCCEEDED, result=result)
    except JobCancelled:
        final = services.finish_job(job_id, Job.Status.CANCELLED)
    except JobFailed as refused:
        final = services.finish_job(job_id, Job.Status.FAILED, error=str(refused))
    except Job.DoesNotExist:
        raise
    except Exception as error:
        logger.exception("Job %s (%s) failed", job_id, job.task_type)
        final = services.finish_job(job_id, Job.Status.FAILED, error=f"The job failed: {error}")
    publish(*notifications.job_event(final))
    return final


def publisher_on(loop: asyncio.AbstractEventLoop) -> Publish:
    """
    Publish from a worker thread through `loop`: channel layers belong to
    the server's event loop. Once that loop has stopped (the server is
    shutting down) events are dropped; the job's state is in the database,
    and clients get it when they reconnect.
    """

    def publish(group: str, event: dict[str, Any]) -> None:
        sending = notifications.send(group, event)
        try:
            asyncio.run_coroutine_threadsafe(sending, loop).result(10)
        except (RuntimeError, TimeoutError):
            if loop.is_running():
                raise
            sending.close()  # never started: nothing else will run or reap it
            logger.warning("Event for %s dropped: the server's event loop has stopped", group)

    return publish


def _run_in_thread(job_id: str, loop: asyncio.AbstractEventLoop) -> None:
    try:
        run_job(job_id, publisher_on(loop))
    finally:
        close_old_connections()


async def start(job: Job) -> None:
    """Hand a new job to Celery, or to a worker thread of this process."""
    if settings.JOBS_BACKEND == "celery":
        from system.tasks import run_job_task

        # Publishing to the broker is network I/O: not on the event loop.
        await sync_to_async(run_job_task.delay, thread_sensitive=False)(str(job.pk))
        return
    loop = asyncio.get_running_loop()
    loop.run_in_executor(_in_process, _run_in_thread, str(job.pk), loop)
