"""Background jobs and their state, kept so every tab and every reconnect can see them."""

import uuid
from typing import Any

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.models import Owned
from system.jobs import remove_exports


class Job(Owned):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_type = models.CharField(max_length=40)
    content = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched by every progress report: a running job silent too long has lost its worker.
    heartbeat_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_type} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


@receiver(post_delete, sender=Job)
def remove_files_of_deleted_job(sender: type[Job], instance: Job, **kwargs: Any) -> None:
    """A deleted job (with its owner's account, say) leaves no export behind on disk."""
    remove_exports(str(instance.pk))
