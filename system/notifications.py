"""What the system app sends through the channel layer, from servers and workers alike."""

from typing import Any

from channels.layers import get_channel_layer
from chanx.messages.base import BaseMessage
from django.conf import settings
from django.utils import timezone

from core.groups import NOTIFICATIONS_GROUP, jobs_group
from core.layers import IN_MEMORY_LAYER
from core.owners import Owner
from system.messages import (
    JobProgress,
    JobQueued,
    JobResult,
    JobView,
    Level,
    Notification,
    SystemNotification,
)
from system.models import Job


def job_view(job: Job) -> JobView:
    return JobView(
        job_id=job.pk,
        task_type=job.task_type,
        status=job.status,  # type: ignore[arg-type]
        progress=job.progress,
        progress_message=job.progress_message,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
    )


def job_frame(job: Job) -> BaseMessage:
    """The frame that tells a job's owner where it stands."""
    view = job_view(job)
    if job.is_finished:
        return JobResult(payload=view)
    if job.status == Job.Status.QUEUED:
        return JobQueued(payload=view)
    return JobProgress(payload=view)


def owner_of_job(job: Job) -> Owner:
    return Owner(user_id=job.owner_id, guest_id=job.guest_id)


def job_event(job: Job) -> tuple[str, dict[str, Any]]:
    """The (group, event) that carries a job's state to every connection of its owner."""
    return jobs_group(owner_of_job(job).key), {
        "type": "system.forward",
        "frame": job_frame(job).model_dump_json(),
    }


def notification_event(message: str, level: Level) -> tuple[str, dict[str, Any]]:
    frame = SystemNotification(
        payload=Notification(message=message, level=level, sent_at=timezone.now())
    )
    return NOTIFICATIONS_GROUP, {"type": "system.forward", "frame": frame.model_dump_json()}


def reaches_other_processes() -> bool:
    """Whether the channel layer carries events between processes (all but in-memory do)."""
    return bool(settings.CHANNEL_LAYERS["default"]["BACKEND"] != IN_MEMORY_LAYER["BACKEND"])


async def send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    await layer.group_send(group, event)
