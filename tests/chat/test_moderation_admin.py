"""The moderation queue in the admin: reports handled there reach every client, audited."""

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from chat import moderation
from chat.models import ModerationAction, Report
from tests.support.chat import LobbyTestCase, next_action

QUEUE = "/admin/chat/report/"


class TestModerationQueue(LobbyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.staff = User.objects.create_superuser("boss", password="pw-boss-123")
        self.client = Client()
        self.client.force_login(self.staff)

    async def reported(self, body: str) -> int:
        seq = await self.post(self.ann, body)
        await database_sync_to_async(moderation.report)(
            room_name="lobby", user=self.ben, seq=seq, reason="rude"
        )
        return seq

    async def act(self, action: str) -> Any:
        ids = [str(pk) async for pk in Report.objects.values_list("pk", flat=True)]
        form = {"action": action, "_selected_action": ids}
        return await database_sync_to_async(self.client.post)(QUEUE, form, follow=True)

    async def test_the_queue_shows_each_report_with_its_message_and_reason(self) -> None:
        await self.reported("you are all fools")

        page = await database_sync_to_async(self.client.get)(QUEUE, {"status__exact": "open"})

        text = page.content.decode()
        assert page.status_code == 200
        assert "you are all fools" in text
        assert "rude" in text

    async def test_deleting_from_the_queue_leaves_a_tombstone_every_client_sees(self) -> None:
        seq = await self.reported("you are all fools")
        watcher, _ = await self.in_room(self.ann)

        page = await self.act("delete_messages")

        deleted = (await next_action(watcher, "message_deleted"))["payload"]
        assert (deleted["target_seq"], deleted["name"]) == (seq, "boss")
        assert "Deleted 1 message(s)." in page.content.decode()
        report = await Report.objects.aget()
        assert report.status == Report.Status.DELETED
        action = await ModerationAction.objects.aget()
        assert (action.actor_name, action.kind, action.seq) == ("boss", "delete_message", seq)

    async def test_dismissing_from_the_queue_keeps_the_message_and_is_audited(self) -> None:
        await self.reported("a bad joke")

        await self.act("dismiss")

        assert (await Report.objects.aget()).status == Report.Status.DISMISSED
        assert await ModerationAction.objects.filter(kind="dismiss_report").acount() == 1

    async def test_the_audit_can_be_read_and_never_changed(self) -> None:
        await self.reported("a bad joke")
        await self.act("dismiss")
        action = await ModerationAction.objects.aget()
        get = database_sync_to_async(self.client.get)

        listing = await get("/admin/chat/moderationaction/")
        adding = await get("/admin/chat/moderationaction/add/")
        deleting = await get(f"/admin/chat/moderationaction/{action.pk}/delete/")

        assert listing.status_code == 200
        assert "dismissed a report" in listing.content.decode()
        assert (adding.status_code, deleting.status_code) == (403, 403)
