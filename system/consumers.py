"""The system endpoints: background jobs and notifications, and echo."""

import asyncio
from typing import Any, cast

from channels.db import database_sync_to_async
from chanx.core.decorators import ws_handler
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import ErrorMessage, PongMessage
from django.conf import settings
from rest_framework.permissions import IsAdminUser

from core.authenticators import SiteAuthenticator
from core.consumers import SiteConsumer
from core.groups import NOTIFICATIONS_GROUP, jobs_group
from core.owners import owner_from_scope
from system import notifications, runner, services
from system.echo import MAX_FRAME_BYTES, EchoError, echo_binary, echo_text
from system.messages import (
    BinaryEcho,
    BroadcastNotification,
    CancelJob,
    EchoGreeting,
    Greeting,
    JobList,
    JobListing,
    JobProgress,
    JobQueued,
    JobResult,
    JsonEcho,
    SystemMessage,
    SystemNotification,
    TextEcho,
)

# 4000 + 1009 ("message too big"): daphne lets an application close only with 1000 or 4xxx.
CLOSE_TOO_BIG = 4009


class SystemConsumer(SiteConsumer):
    """
    Background jobs and notifications, at ws/system/. A job's progress and
    result reach every connection of its owner, so a reconnect or a second
    tab sees them too; `job_list` on connect has every job's state.
    """

    emits = [JobList, JobProgress, JobResult, SystemNotification]
    watchdog: asyncio.Task[None] | None = None

    async def post_authentication(self) -> None:
        """Runs once admitted: join the owner's and everyone's groups, send the job list."""
        await super().post_authentication()
        self.auth = cast(SiteAuthenticator, self.authenticator)
        self.owner = owner_from_scope(self.auth.user, self.scope, self.channel_name)
        await self.join_group(jobs_group(self.owner.key))
        await self.join_group(NOTIFICATIONS_GROUP)
        await self.expire_lost_jobs()
        jobs = await database_sync_to_async(services.jobs_of)(self.owner)
        listing = JobListing(jobs=[notifications.job_view(job) for job in jobs])
        await self.send_message(JobList(payload=listing))
        self.watchdog = asyncio.create_task(self.watch_for_lost_jobs())

    @ws_handler(summary="Check the connection is alive")
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(
        summary="Start a background job",
        description="Answered at once by `job_queued`, then `job_progress` as it runs and "
        "`job_result` when it ends, on every connection of the same user or browser session.",
        output_type=[JobQueued, JobProgress, JobResult],
    )
    async def handle_system_message(self, message: SystemMessage) -> None:
        try:
            job = await database_sync_to_async(services.create_job)(
                owner=self.owner,
                user=self.auth.user,
                task_type=message.payload.task_type,
                content=message.payload.content,
            )
        except services.JobError as refused:
            await self.send_message(ErrorMessage(payload={"detail": str(refused)}))
            return
        await notifications.send(*notifications.job_event(job))
        if not job.is_finished:
            await runner.start(job)

    @ws_handler(
        summary="Cancel one of your jobs",
        description="A queued job is answered by `job_result` (`cancelled`) at once, a running "
        "one at its next step; a job that has already ended by `job_result` as it ended.",
        output_type=JobResult,
    )
    async def handle_cancel_job(self, message: CancelJob) -> None:
        try:
            job = await database_sync_to_async(services.request_cancel)(
                self.owner, message.payload.job_id
            )
        except services.JobError as refused:
            await self.send_message(ErrorMessage(payload={"detail": str(refused)}))
            return
        if job.is_finished:  # cancelled while queued, or over already; a running job reports
            await notifications.send(*notifications.job_event(job))

    @ws_handler(summary="Staff only: notify everyone", output_type=SystemNotification)
    async def handle_broadcast_notification(self, message: BroadcastNotification) -> None:
        if not IsAdminUser().has_permission(self.auth.request, None):  # type: ignore[arg-type]
            await self.send_message(
                ErrorMessage(payload={"detail": "Only staff may broadcast notifications."})
            )
            return
        await notifications.send(
            *notifications.notification_event(message.payload.message, message.payload.level)
        )

    async def expire_lost_jobs(self) -> None:
        """Jobs whose worker died are failed, and their owner told so."""
        for job in await database_sync_to_async(services.expire_lost_jobs)(self.owner):
            await notifications.send(*notifications.job_event(job))

    async def watch_for_lost_jobs(self) -> None:
        while True:
            await asyncio.sleep(settings.JOB_STALE_AFTER / 2)
            await self.expire_lost_jobs()

    async def system_forward(self, event: dict[str, Any]) -> None:
        """A job update or a notification, already encoded."""
        await self.send(text_data=event["frame"])

    async def websocket_disconnect(self, message: Any) -> None:
        """Runs when the socket closes."""
        if self.watchdog is not None:
            self.watchdog.cancel()
        await super().websocket_disconnect(message)


class EchoConsumer(SiteConsumer):
    """
    Echo, at ws/system/echo/: greets on connect, then answers every frame.
    A text frame gets `text_echo` ("System: " + the text); a JSON text frame
    gets `json_echo` with the parsed value and a summary; a binary frame gets
    `binary_echo` (size and SHA-256) and then the same bytes as a binary frame.
    A binary frame starting with the four bytes `ZLIB` is zlib-compressed: it
    is decompressed first and both sizes are reported. Frames over 512 KiB get
    an `error` frame and close code 4009; invalid JSON (nested too deep, say) or a
    corrupt compressed frame gets an `error` frame and the connection stays open.
    """

    emits = [EchoGreeting, TextEcho, JsonEcho, BinaryEcho]

    async def post_authentication(self) -> None:
        """Runs once the connection is established: greet."""
        await super().post_authentication()
        greeting = Greeting(message="Connection established.", max_frame_bytes=MAX_FRAME_BYTES)
        await self.send_message(EchoGreeting(payload=greeting))

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Every frame, text or binary, comes here instead of chanx's JSON routing."""
        if not await self.admitted():
            return
        size = len(bytes_data) if bytes_data is not None else len((text_data or "").encode())
        if size > MAX_FRAME_BYTES:
            detail = f"Frame of {size} bytes is over the {MAX_FRAME_BYTES}-byte limit."
            await self.send_message(ErrorMessage(payload={"detail": detail}))
            await self.close(CLOSE_TOO_BIG)
            return
        try:
            if bytes_data is not None:
                description, data = echo_binary(bytes_data)
                await self.send_message(description)
                await self.send(bytes_data=data)
            else:
                await self.send_message(echo_text(text_data or ""))
        except EchoError as refused:
            await self.send_message(ErrorMessage(payload={"detail": str(refused)}))
