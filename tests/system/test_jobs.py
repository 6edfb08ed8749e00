"""Background jobs through the system consumer, run in-process (Celery has its own tests)."""

import json
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client, override_settings

from chat import services as chat_services
from chat.participants import Participant
from system.consumers import SystemConsumer
from system.models import Job
from tests.support.chat import next_frame
from tests.support.credentials import guest_headers, session_headers
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

QUIET = frozenset({"complete"})


class TestJobs(WebsocketTestCase):
    consumer = SystemConsumer
    ws_path = "/ws/system/"

    def setUp(self) -> None:
        super().setUp()
        # Each test its own browser: jobs of an earlier test may still be reporting.
        self.browser = guest_headers(f"job-owner-{uuid.uuid4().hex}")

    async def connected(self, headers: Any = None) -> tuple[DjangoWebsocketCommunicator, list[Any]]:
        communicator = self.create_communicator(
            headers=self.browser if headers is None else headers
        )
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        listing = await next_frame(communicator, ignore=QUIET)
        assert listing["action"] == "job_list"
        return communicator, listing["payload"]["jobs"]

    async def start(
        self, communicator: DjangoWebsocketCommunicator, task_type: str, content: str
    ) -> None:
        await communicator.send_json_to(
            {"action": "system_message", "payload": {"task_type": task_type, "content": content}}
        )

    async def until_finished(
        self, communicator: DjangoWebsocketCommunicator
    ) -> list[dict[str, Any]]:
        frames = []
        while True:
            frame = await next_frame(communicator, ignore=QUIET)
            frames.append(frame)
            if frame["action"] == "job_result":
                return frames

    async def test_a_job_is_queued_at_once_reports_progress_and_delivers_its_result(self) -> None:
        client, jobs = await self.connected()
        assert jobs == []

        await self.start(client, "analyze", "the cat saw the other cat")
        frames = await self.until_finished(client)

        assert frames[0]["action"] == "job_queued"
        progress = [f["payload"]["progress"] for f in frames if f["action"] == "job_progress"]
        assert len(progress) >= 3
        assert progress == sorted(progress)
        result = frames[-1]["payload"]
        assert result["status"] == "succeeded"
        assert result["progress"] == 100
        assert result["result"]["words"] == 6
        assert result["result"]["top_words"][:2] == [["the", 2], ["cat", 2]]

    async def test_an_unknown_task_type_is_an_error_not_a_fallback(self) -> None:
        client, _ = await self.connected()

        await self.start(client, "translate", "hola")

        error = await next_frame(client, ignore=QUIET)
        assert error["action"] == "error"
        assert "'analyze' or 'export_transcript'" in error["payload"][0]["msg"]
        assert await Job.objects.acount() == 0

    @override_settings(JOB_STEP_DELAY=0.3)
    async def test_cancel_stops_a_running_job(self) -> None:
        client, _ = await self.connected()
        await self.start(client, "analyze", "a long text " * 50)
        queued = await next_frame(client, ignore=QUIET)
        job_id = queued["payload"]["job_id"]
        assert (await next_frame(client, ignore=QUIET))["action"] == "job_progress"

        await client.send_json_to({"action": "cancel_job", "payload": {"job_id": job_id}})

        result = (await self.until_finished(client))[-1]["payload"]
        assert result["status"] == "cancelled"
        assert result["result"] is None
        assert (await Job.objects.aget(pk=job_id)).status == "cancelled"

    async def test_a_reconnecting_client_and_a_second_tab_see_every_job(self) -> None:
        first_tab, _ = await self.connected()
        second_tab, _ = await self.connected()

        await self.start(first_tab, "analyze", "one two two")
        in_first = (await self.until_finished(first_tab))[-1]
        in_second = (await self.until_finished(second_tab))[-1]
        await first_tab.disconnect()
        _, jobs = await self.connected()

        assert in_second == in_first
        assert [(j["job_id"], j["status"]) for j in jobs] == [
            (in_first["payload"]["job_id"], "succeeded")
        ]

    async def test_jobs_of_another_browser_are_neither_listed_nor_cancellable(self) -> None:
        owner, _ = await self.connected()
        await self.start(owner, "analyze", "mine")
        job_id = (await self.until_finished(owner))[-1]["payload"]["job_id"]

        stranger, jobs = await self.connected(
            await database_sync_to_async(guest_headers)("stranger")
        )
        await stranger.send_json_to({"action": "cancel_job", "payload": {"job_id": job_id}})

        assert jobs == []
        assert await next_frame(stranger, ignore=QUIET) == {
            "action": "error",
            "payload": {"detail": "No such job."},
        }

    async def test_a_transcript_export_is_downloadable_by_its_owner_only(self) -> None:
        await database_sync_to_async(seed_room)("town-square", 1200)
        client, _ = await self.connected()

        await self.start(client, "export_transcript", "town-square")
        result = (await self.until_finished(client))[-1]["payload"]

        assert result["status"] == "succeeded"
        assert result["result"]["messages"] == 1200
        markdown, exported = await database_sync_to_async(download)(
            self.browser, result["result"]["downloads"]
        )
        assert markdown.startswith("# Transcript of town-square\n\n- **Writer** (guest)")
        assert markdown.count("\n- ") == 1200
        assert [m["seq"] for m in exported["messages"]] == list(range(1, 1201))
        assert (
            await database_sync_to_async(status_for_stranger)(result["result"]["downloads"]["json"])
            == 404
        )

    async def test_exporting_a_private_room_needs_its_membership_and_fails_at_once_if_refused(
        self,
    ) -> None:
        await database_sync_to_async(private_room)("secret-plans")
        client, _ = await self.connected()

        await self.start(client, "export_transcript", "secret-plans")
        result = await next_frame(client, ignore=QUIET)

        assert result["action"] == "job_result"
        assert result["payload"]["status"] == "failed"
        assert result["payload"]["error"] == (
            "You may not read the room 'secret-plans'. Log in if you are one of its members."
        )
        assert result["payload"]["result"] is None
        assert not await Job.objects.filter(status__in=["queued", "running"]).aexists()

    async def test_a_refused_export_is_a_failed_job_in_every_tab_and_after_a_reconnect(
        self,
    ) -> None:
        first_tab, _ = await self.connected()
        second_tab, _ = await self.connected()

        await self.start(first_tab, "export_transcript", "no room " * 20)
        in_first = await next_frame(first_tab, ignore=QUIET)
        in_second = await next_frame(second_tab, ignore=QUIET)
        await first_tab.disconnect()
        _, jobs = await self.connected()

        assert in_second == in_first
        assert in_first["payload"]["status"] == "failed"
        assert in_first["payload"]["error"] == (
            f"{('no room ' * 8)!r}… is not a room name. "
            "Room names are 1 to 64 characters: ASCII letters, digits, '-' and '_'."
        )
        assert [(j["job_id"], j["status"], j["error"]) for j in jobs] == [
            (in_first["payload"]["job_id"], "failed", in_first["payload"]["error"])
        ]

    async def test_cancelling_a_job_that_has_ended_answers_with_how_it_ended(self) -> None:
        client, _ = await self.connected()
        await self.start(client, "analyze", "quick")
        ended = (await self.until_finished(client))[-1]

        await client.send_json_to(
            {"action": "cancel_job", "payload": {"job_id": ended["payload"]["job_id"]}}
        )

        assert await next_frame(client, ignore=QUIET) == ended
        job = await Job.objects.aget(pk=ended["payload"]["job_id"])
        assert (job.status, job.cancel_requested) == ("succeeded", False)

    async def test_exporting_a_room_that_does_not_exist_fails_and_says_why(self) -> None:
        client, _ = await self.connected()

        await self.start(client, "export_transcript", "nowhere")
        result = (await self.until_finished(client))[-1]["payload"]

        assert result["status"] == "failed"
        assert result["error"] == "No room named 'nowhere'."
        assert result["result"] is None


class TestNotificationsFromThePage(WebsocketTestCase):
    consumer = SystemConsumer
    ws_path = "/ws/system/"

    def setUp(self) -> None:
        super().setUp()
        self.staff = session_headers(
            User.objects.create_user("boss", password="pw-boss-123", is_staff=True)
        )
        self.member = session_headers(User.objects.create_user("pat", password="pw-pat-123"))

    async def listening(self, headers: Any) -> DjangoWebsocketCommunicator:
        communicator = self.create_communicator(headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        assert (await next_frame(communicator, ignore=QUIET))["action"] == "job_list"
        return communicator

    async def test_staff_notify_everyone_and_others_are_refused(self) -> None:
        staff, member = await self.listening(self.staff), await self.listening(self.member)
        notification = {
            "action": "broadcast_notification",
            "payload": {"message": "Deploying", "level": "warning"},
        }

        await member.send_json_to(notification)
        refused = await next_frame(member, ignore=QUIET)
        await staff.send_json_to(notification)

        assert refused == {
            "action": "error",
            "payload": {"detail": "Only staff may broadcast notifications."},
        }
        for client in (staff, member):
            frame = await next_frame(client, ignore=QUIET)
            assert frame["action"] == "system_notification"
            assert (frame["payload"]["message"], frame["payload"]["level"]) == (
                "Deploying",
                "warning",
            )


def seed_room(room: str, count: int) -> None:
    author = Participant(key="guest:w", name="Writer", guest=True)
    for n in range(count):
        chat_services.post_message(
            room_name=room, author=author, user=AnonymousUser(), body=f"line {n}", client_id=f"c{n}"
        )


def private_room(name: str) -> None:
    owner = User.objects.create_user("owner", password="pw-owner-123")
    chat_services.create_private_room(owner=owner, name=name, member_usernames=[])


def download(headers: list[tuple[bytes, bytes]], links: dict[str, str]) -> tuple[str, Any]:
    client = Client()
    cookie = dict(headers)[b"cookie"].decode().split("=", 1)[1]
    client.cookies["sessionid"] = cookie
    markdown = client.get(links["markdown"])
    exported = client.get(links["json"])
    assert markdown.status_code == exported.status_code == 200
    markdown_text = b"".join(markdown.streaming_content).decode()  # type: ignore[attr-defined]
    exported_json = json.loads(b"".join(exported.streaming_content))  # type: ignore[attr-defined]
    return markdown_text, exported_json


def status_for_stranger(link: str) -> int:
    return Client().get(link).status_code
