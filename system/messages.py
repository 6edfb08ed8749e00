"""
Wire messages of the system endpoints.

ws/system/ speaks typed JSON: `system_message` starts a background job,
`cancel_job` stops one, `broadcast_notification` (staff only) notifies
everyone; the server sends `job_list` on connect, then `job_queued`,
`job_progress` and `job_result` for each job, and `system_notification`s.
A job the rules refuse still gets its `job_result`, failed with the reason;
`error` answers only a request that is about no job.

ws/system/echo/ echoes any frame: see EchoConsumer.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from chanx.messages.base import BaseMessage
from pydantic import Field

from core.messages import Strict

CONTENT_MAX_LENGTH = 100_000
NOTIFICATION_MAX_LENGTH = 500

TaskType = Literal["analyze", "export_transcript"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
Level = Literal["info", "warning", "error"]


# ws/system/, client to server


class TaskPayload(Strict):
    task_type: TaskType = Field(
        description="`analyze`: counts and frequent words of `content`. `export_transcript`: "
        "the transcript of the chat room named in `content`, as Markdown and JSON."
    )
    content: str = Field(min_length=1, max_length=CONTENT_MAX_LENGTH)


class SystemMessage(Strict, BaseMessage):
    """
    Start a background job. One the rules refuse (a room you may not read)
    ends at once: its `job_result` is `failed`, with the reason.
    """

    action: Literal["system_message"] = "system_message"
    payload: TaskPayload


class JobRef(Strict):
    job_id: UUID


class CancelJob(Strict, BaseMessage):
    """Stop one of your jobs; it ends as `cancelled`."""

    action: Literal["cancel_job"] = "cancel_job"
    payload: JobRef


class NotificationRequest(Strict):
    message: str = Field(min_length=1, max_length=NOTIFICATION_MAX_LENGTH)
    level: Level = "info"


class BroadcastNotification(Strict, BaseMessage):
    """Staff only: notify every connected client, on every server process."""

    action: Literal["broadcast_notification"] = "broadcast_notification"
    payload: NotificationRequest


# ws/system/, server to client


class JobView(Strict):
    job_id: UUID
    task_type: str
    status: JobStatus
    progress: int = Field(ge=0, le=100)
    progress_message: str
    result: dict[str, Any] | None = None
    error: str = ""
    created_at: datetime


class JobQueued(Strict, BaseMessage):
    """A job was accepted and waits for a worker."""

    action: Literal["job_queued"] = "job_queued"
    payload: JobView


class JobProgress(Strict, BaseMessage):
    """A running job moved on."""

    action: Literal["job_progress"] = "job_progress"
    payload: JobView


class JobResult(Strict, BaseMessage):
    """A job ended: succeeded (with its result), failed (with the error) or cancelled."""

    action: Literal["job_result"] = "job_result"
    payload: JobView


class JobListing(Strict):
    jobs: list[JobView] = Field(description="Newest first.")


class JobList(Strict, BaseMessage):
    """Every job of this user (or browser session) and its state, sent on connect."""

    action: Literal["job_list"] = "job_list"
    payload: JobListing


class Notification(Strict):
    message: str
    level: Level
    sent_at: datetime


class SystemNotification(Strict, BaseMessage):
    """A notification for everyone connected."""

    action: Literal["system_notification"] = "system_notification"
    payload: Notification


# ws/system/echo/, server to client


class Greeting(Strict):
    message: str
    max_frame_bytes: int


class EchoGreeting(Strict, BaseMessage):
    """Sent once the connection is established."""

    action: Literal["echo_connected"] = "echo_connected"
    payload: Greeting


class TextEchoPayload(Strict):
    text: str = Field(description="The frame's text after a `System: ` prefix.")


class TextEcho(Strict, BaseMessage):
    """Answer to a text frame that is not JSON."""

    action: Literal["text_echo"] = "text_echo"
    payload: TextEchoPayload


class JsonSummary(Strict):
    type: Literal["object", "array", "string", "number", "boolean", "null"]
    fields: int = Field(description="Keys of an object, items of an array, else 0.")


class JsonEchoPayload(Strict):
    received: Any
    summary: JsonSummary


class JsonEcho(Strict, BaseMessage):
    """Answer to a JSON text frame: the parsed value and a summary."""

    action: Literal["json_echo"] = "json_echo"
    payload: JsonEchoPayload


class BinaryEchoPayload(Strict):
    size: int
    sha256: str
    compressed_size: int | None = Field(
        default=None, description="For a `ZLIB`-prefixed frame: its size before decompression."
    )


class BinaryEcho(Strict, BaseMessage):
    """Answer to a binary frame, followed by the (decompressed) bytes echoed as binary."""

    action: Literal["binary_echo"] = "binary_echo"
    payload: BinaryEchoPayload
