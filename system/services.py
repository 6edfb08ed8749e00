"""
Jobs: create, report on, finish, cancel and list them. Synchronous; consumers
call them through database_sync_to_async, workers call them directly.
"""

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from chat.rooms import ROOM_NAME_MAX_LENGTH, ROOM_NAME_RULE, is_valid_room_name
from chat.selectors import room_access
from core.owners import Owner
from system.jobs import JOBS, JobCancelled
from system.models import Job

WORKER_LOST = "The worker running this job stopped before it finished."


class JobError(Exception):
    """A request about no job (an unknown task type, a job not theirs); meant for the user."""


def create_job(
    *, owner: Owner, user: AbstractBaseUser | AnonymousUser, task_type: str, content: str
) -> Job:
    """
    A new job, queued; or, when the rules refuse what it asks (a room its owner
    may not read), already failed with the reason, so that its owner sees the
    refusal where they see every job's outcome: on its card, in every tab, and
    after a reload. An unknown task type is no job at all: JobError.
    """
    if task_type not in JOBS:
        raise JobError(f"Unknown task type {task_type!r}; known: {', '.join(sorted(JOBS))}.")
    refusal = refusal_of(task_type, content, user)
    if refusal:
        return Job.objects.create(
            **owner.fields(),
            task_type=task_type,
            content=content,
            status=Job.Status.FAILED,
            error=refusal,
            finished_at=timezone.now(),
        )
    return Job.objects.create(**owner.fields(), task_type=task_type, content=content)


def refusal_of(task_type: str, content: str, user: AbstractBaseUser | AnonymousUser) -> str:
    """Why `user` may not run this job, or "" if they may."""
    if task_type != "export_transcript":
        return ""
    if not is_valid_room_name(content):
        return f"{shortened(content)} is not a room name. {ROOM_NAME_RULE}"
    access = room_access(content, user)
    if access.allowed:
        return ""
    refused = f"You may not read the room {content!r}."
    if access.reason:
        return f"{refused} {access.reason}"
    if access.needs_login:
        return f"{refused} Log in if you are one of its members."
    return refused


def shortened(text: str, limit: int = ROOM_NAME_MAX_LENGTH) -> str:
    """`text` quoted, cut short if it is long: a refusal echoes what was asked, not all of it."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}…"


def report_progress(job_id: UUID | str, percent: int, message: str) -> Job:
    """Record progress (and that the worker is alive); JobCancelled if cancel was asked."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.cancel_requested:
            raise JobCancelled
        job.status = Job.Status.RUNNING
        job.progress = max(0, min(100, percent))
        job.progress_message = message[:200]
        job.save(update_fields=["status", "progress", "progress_message", "heartbeat_at"])
    return job


def finish_job(
    job_id: UUID | str, status: str, *, result: dict[str, Any] | None = None, error: str = ""
) -> Job:
    job = Job.objects.get(pk=job_id)
    job.status = status
    job.result = result
    job.error = error
    job.finished_at = timezone.now()
    if status == Job.Status.SUCCEEDED:
        job.progress, job.progress_message = 100, "Done"
    job.save()
    return job


def request_cancel(owner: Owner, job_id: UUID | str) -> Job:
    """
    Ask a job to stop; a queued job is cancelled at once, a running one at its
    next step. A job that has already ended stays as it ended (a cancel can
    cross its result on the wire): returned unchanged, for its owner to see.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(owner.owns(), pk=job_id).first()
        if job is None:
            raise JobError("No such job.")
        if job.is_finished:
            return job
        job.cancel_requested = True
        if job.status == Job.Status.QUEUED:
            job.status, job.finished_at = Job.Status.CANCELLED, timezone.now()
        job.save()
    return job


def expire_lost_jobs(owner: Owner) -> list[Job]:
    """Mark the owner's jobs whose worker went silent as failed; the jobs changed."""
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER)
    lost = list(Job.objects.filter(owner.owns(), status=Job.Status.RUNNING, heartbeat_at__lt=stale))
    for job in lost:
        finish_job(job.pk, Job.Status.FAILED, error=WORKER_LOST)
    return [Job.objects.get(pk=job.pk) for job in lost]


def jobs_of(owner: Owner, limit: int = 50) -> list[Job]:
    return list(Job.objects.filter(owner.owns()).order_by("-created_at")[:limit])


def job_of(owner: Owner, job_id: UUID | str) -> Job | None:
    try:
        return Job.objects.filter(owner.owns(), pk=job_id).first()
    except (ValueError, TypeError):
        return None
