"""Files sent with messages: stored whole or not at all, shown with it, read by its readers."""

import itertools
import struct
import zlib
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, cast

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image

from chat import files, notifications, selectors, services
from chat.models import Attachment, Message, Room
from chat.participants import participant_for
from config.asgi import application
from tests.support.credentials import session_headers

pytestmark = pytest.mark.django_db

CLIENT_IDS = itertools.count()
Callbacks = Callable[..., Any]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Each test its own storage, so what it leaves behind can be counted."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def lobby(db: None) -> Room:
    return Room.objects.create(name="lobby")


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def picture(size: tuple[int, int] = (1200, 800), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    encoded = BytesIO()
    Image.new(mode, size, "teal").save(encoded, fmt)
    return encoded.getvalue()


def huge_canvas() -> bytes:
    """A tiny PNG whose header claims 20,000 x 20,000 pixels."""
    small = picture((1, 1))
    header = struct.pack(">II", 20_000, 20_000) + small[24:29]
    chunk = b"IHDR" + header
    checksum = struct.pack(">I", zlib.crc32(chunk))
    return small[:8] + struct.pack(">I", 13) + chunk + checksum + small[33:]


def read(reply: Any) -> bytes:
    """A response's body; the test client closes a file it served once it is read."""
    return b"".join(reply.streaming_content) if reply.streaming else bytes(reply.content)


def status_of(reply: Any) -> int:
    read(reply)
    return int(reply.status_code)


def upload(by: User, name: str, content: bytes, room: str = "lobby") -> Attachment:
    return files.upload(room_name=room, user=by, file=SimpleUploadedFile(name, content))


def post(by: User, attachments: list[int], room: str = "lobby", body: str = "") -> services.Posted:
    return services.post_message(
        room_name=room,
        author=participant_for(by, guest_id=None, guest_name=None, connection="c"),
        user=by,
        body=body,
        client_id=f"c{next(CLIENT_IDS)}",
        attachments=attachments,
    )


class TestUploads:
    def test_an_image_is_known_by_its_content_and_stored_with_a_small_thumbnail(
        self, ann: User, lobby: Room
    ) -> None:
        stored = upload(ann, "holiday.txt", picture((1200, 800)))

        assert (stored.content_type, stored.width, stored.height) == ("image/png", 1200, 800)
        assert stored.name == "holiday.txt"
        with stored.thumbnail.open("rb") as thumbnail, Image.open(thumbnail) as preview:
            assert max(preview.size) == 480

    def test_an_image_with_transparency_keeps_it_in_its_thumbnail(
        self, ann: User, lobby: Room
    ) -> None:
        stored = upload(ann, "logo.png", picture((64, 64), mode="RGBA"))

        assert stored.thumbnail.name.endswith(".png")

    def test_a_document_of_a_known_kind_is_accepted_by_its_extension(
        self, ann: User, lobby: Room
    ) -> None:
        stored = upload(ann, "notes/../../report.PDF", b"%PDF-1.7 ...")

        assert (stored.name, stored.content_type, stored.is_image) == (
            "report.PDF",
            "application/pdf",
            False,
        )
        assert not stored.thumbnail

    @pytest.mark.parametrize("name", ["setup.exe", "drawing.svg", "page.html", "no-extension"])
    def test_other_kinds_of_file_are_refused_and_nothing_is_stored(
        self, ann: User, lobby: Room, media: Path, name: str
    ) -> None:
        with pytest.raises(files.UploadRefused, match="not accepted: send an image or"):
            upload(ann, name, b"<svg onload=alert(1)>")

        assert stored_files(media) == []
        assert Attachment.objects.count() == 0

    def test_a_file_over_the_limit_is_refused_with_the_limit_named(
        self, ann: User, lobby: Room, settings: Any, media: Path
    ) -> None:
        settings.CHAT_ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024

        with pytest.raises(files.UploadRefused, match="too large: at most 2 MB"):
            upload(ann, "big.txt", b"x" * (2 * 1024 * 1024 + 1))

        assert stored_files(media) == []

    def test_a_canvas_too_large_to_decode_is_refused_before_it_is_decoded(
        self, ann: User, lobby: Room, media: Path
    ) -> None:
        with pytest.raises(files.UploadRefused, match="at most 40 megapixels"):
            upload(ann, "bomb.png", huge_canvas())

        assert stored_files(media) == []

    def test_a_damaged_image_is_refused(self, ann: User, lobby: Room) -> None:
        with pytest.raises(files.UploadRefused, match="damaged"):
            upload(ann, "cut.png", picture()[:200])

    @pytest.mark.parametrize("failing", ["thumbnail", "row"])
    def test_a_failure_part_way_leaves_nothing_half_stored(
        self, ann: User, lobby: Room, media: Path, monkeypatch: pytest.MonkeyPatch, failing: str
    ) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise OSError("disk full")

        if failing == "row":
            monkeypatch.setattr(Attachment, "save", fail)
        else:
            monkeypatch.setattr(ContentFile, "chunks", fail)

        with pytest.raises(OSError, match="disk full"):
            upload(ann, "photo.png", picture())

        assert stored_files(media) == []
        assert Attachment.objects.count() == 0

    def test_only_a_room_you_may_post_in_takes_uploads(self, ann: User, ben: User) -> None:
        services.create_private_room(owner=ann, name="team", member_usernames=[])

        with pytest.raises(files.UploadRefused, match="a room you may post in"):
            upload(ben, "notes.txt", b"hello", room="team")
        with pytest.raises(files.UploadRefused, match="a room you may post in"):
            upload(ben, "notes.txt", b"hello", room="no-such-room")


class TestSending:
    def test_a_message_carries_its_files_live_in_replays_and_in_history(
        self, ann: User, lobby: Room
    ) -> None:
        image = upload(ann, "photo.png", picture())
        document = upload(ann, "notes.txt", b"hello")

        posted = post(ann, [document.pk, image.pk], body="see these")

        live = notifications.message_view(posted.message).attachments
        (replayed,) = selectors.messages_after("lobby", 0)
        page, _ = selectors.messages_before("lobby", None, limit=10)
        assert live == notifications.message_view(replayed).attachments
        assert live == notifications.message_view(page[0]).attachments
        assert [(a.name, a.content_type) for a in live] == [
            ("notes.txt", "text/plain"),
            ("photo.png", "image/png"),
        ]
        assert live[1].url == f"/chat/files/{image.pk}/photo.png"
        assert live[1].thumbnail_url == f"/chat/files/{image.pk}/thumbnail/"
        assert live[0].thumbnail_url is None
        assert set(Attachment.objects.values_list("message__seq", flat=True)) == {1}

    def test_a_message_of_files_only_needs_no_text(self, ann: User, lobby: Room) -> None:
        posted = post(ann, [upload(ann, "notes.txt", b"hi").pk])

        assert posted.message.body == ""

    def test_a_resend_is_the_first_message_with_its_files(self, ann: User, lobby: Room) -> None:
        document = upload(ann, "notes.txt", b"hello")
        first = post(ann, [document.pk])
        author = participant_for(ann, guest_id=None, guest_name=None, connection="c")

        again = services.post_message(
            room_name="lobby",
            author=author,
            user=ann,
            body="",
            client_id=first.message.client_id,
            attachments=[document.pk],
        )

        assert not again.created
        assert again.message.attachments == first.message.attachments

    def test_an_upload_is_sent_once_by_its_uploader_in_its_room(
        self, ann: User, ben: User, lobby: Room
    ) -> None:
        Room.objects.create(name="kitchen")
        mine = upload(ann, "notes.txt", b"hello")

        for by, room in ((ben, "lobby"), (ann, "kitchen")):
            with pytest.raises(services.ChatError, match="could not be sent"):
                post(by, [mine.pk], room=room)
        post(ann, [mine.pk])
        with pytest.raises(services.ChatError, match="could not be sent"):
            post(ann, [mine.pk])

    def test_a_refused_post_stores_nothing_and_takes_no_seq(
        self, ann: User, ben: User, lobby: Room
    ) -> None:
        bens = upload(ben, "notes.txt", b"hello")

        with pytest.raises(services.ChatError):
            post(ann, [bens.pk], body="not mine")

        assert Message.objects.count() == 0
        assert Room.objects.get(name="lobby").last_seq == 0
        assert post(ann, [], body="hi").message.seq == 1

    def test_deleting_the_message_deletes_its_files(
        self,
        ann: User,
        lobby: Room,
        media: Path,
        django_capture_on_commit_callbacks: Callbacks,
    ) -> None:
        posted = post(ann, [upload(ann, "photo.png", picture()).pk])
        assert len(stored_files(media)) == 2  # the picture and its thumbnail

        with django_capture_on_commit_callbacks(execute=True):
            services.delete_message(
                room_name="lobby", user=ann, seq=posted.message.seq, client_id="d1"
            )

        assert stored_files(media) == []
        (tombstone,) = selectors.messages_before("lobby", None, limit=1)[0]
        assert notifications.message_view(tombstone).attachments == []

    def test_uploads_never_sent_are_discarded_after_a_day(
        self,
        ann: User,
        lobby: Room,
        media: Path,
        django_capture_on_commit_callbacks: Callbacks,
    ) -> None:
        old = upload(ann, "old.txt", b"old")
        Attachment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
        upload(ann, "new.txt", b"new")
        post(ann, [upload(ann, "sent.txt", b"sent").pk])
        Attachment.objects.update(created_at=timezone.now() - timedelta(days=2))
        Attachment.objects.filter(name="new.txt").update(created_at=timezone.now())

        with django_capture_on_commit_callbacks(execute=True):
            assert files.discard_unsent() == 1

        assert sorted(Attachment.objects.values_list("name", flat=True)) == ["new.txt", "sent.txt"]
        assert len(stored_files(media)) == 2


class TestHttp:
    def upload(self, client: Client, room: str, name: str, content: bytes) -> Any:
        return client.post(
            f"/api/chat/rooms/{room}/attachments/",
            {"file": SimpleUploadedFile(name, content)},
        )

    def test_an_upload_answers_with_the_file_as_messages_show_it(
        self, client: Client, ann: User, lobby: Room
    ) -> None:
        client.force_login(ann)

        reply = self.upload(client, "lobby", "photo.png", picture((40, 30)))

        assert reply.status_code == 201
        shown = reply.json()
        assert (shown["name"], shown["width"], shown["height"]) == ("photo.png", 40, 30)
        assert status_of(client.get(shown["thumbnail_url"])) == 200

    def test_a_refused_upload_is_a_400_that_says_why(
        self, client: Client, ann: User, lobby: Room
    ) -> None:
        client.force_login(ann)

        reply = self.upload(client, "lobby", "run.exe", b"MZ")
        missing = client.post("/api/chat/rooms/lobby/attachments/", {})

        assert reply.status_code == 400
        assert "not accepted" in reply.json()["detail"]
        assert missing.status_code == 400
        assert "field named `file`" in missing.json()["detail"]

    def test_guests_may_not_upload(self, client: Client, lobby: Room) -> None:
        reply = self.upload(client, "lobby", "notes.txt", b"hi")

        assert reply.status_code == 401

    def test_an_unsent_upload_is_taken_back_by_its_uploader_only(
        self, client: Client, ann: User, ben: User, lobby: Room, media: Path
    ) -> None:
        client.force_login(ann)
        shown = self.upload(client, "lobby", "notes.txt", b"hi").json()
        other = Client()
        other.force_login(ben)

        refused = other.delete(f"/api/chat/attachments/{shown['id']}/")
        taken_back = client.delete(f"/api/chat/attachments/{shown['id']}/")

        assert (refused.status_code, taken_back.status_code) == (404, 204)
        assert not Attachment.objects.exists()

    def test_a_download_is_checked_against_who_may_read_the_room_now(
        self, ann: User, ben: User
    ) -> None:
        services.create_private_room(owner=ann, name="team", member_usernames=["ben"])
        document = upload(ann, "plan.txt", b"the plan", room="team")
        post(ann, [document.pk], room="team")
        url = f"/chat/files/{document.pk}/plan.txt"
        as_ben, as_nobody = Client(), Client()
        as_ben.force_login(ben)

        allowed = as_ben.get(url)
        content = read(allowed)
        anonymous = as_nobody.get(url)
        services.remove_member(room_name="team", actor=ann, username="ben")
        removed = as_ben.get(url)

        assert allowed.status_code == 200
        assert content == b"the plan"
        assert allowed["Content-Disposition"].startswith("attachment")
        assert (anonymous.status_code, removed.status_code) == (404, 404)

    def test_an_image_is_shown_inline_and_never_run_as_a_page(
        self, client: Client, ann: User, lobby: Room
    ) -> None:
        image = upload(ann, "photo.png", picture((10, 10)))
        post(ann, [image.pk])

        reply = client.get(f"/chat/files/{image.pk}/photo.png")
        read(reply)

        assert reply.status_code == 200
        assert reply["Content-Type"] == "image/png"
        assert reply["Content-Disposition"].startswith("inline")
        assert "sandbox" in reply["Content-Security-Policy"]
        assert reply["Cache-Control"].startswith("private")

    def test_an_unsent_upload_is_seen_by_its_uploader_alone(
        self, client: Client, ann: User, lobby: Room
    ) -> None:
        image = upload(ann, "photo.png", picture((10, 10)))
        url = f"/chat/files/{image.pk}/photo.png"

        assert status_of(client.get(url)) == 404
        client.force_login(ann)
        assert status_of(client.get(url)) == 200

    def test_a_deleted_message_s_files_are_gone_for_everyone(
        self, client: Client, ann: User, lobby: Room
    ) -> None:
        image = upload(ann, "photo.png", picture((10, 10)))
        seq = post(ann, [image.pk]).message.seq
        services.delete_message(room_name="lobby", user=ann, seq=seq, client_id="d1")
        client.force_login(ann)

        assert client.get(f"/chat/files/{image.pk}/photo.png").status_code == 404


def test_the_daily_command_discards_unsent_uploads(
    ann: User, lobby: Room, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = upload(ann, "old.txt", b"old")
    Attachment.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=3))

    call_command("discard_unsent_uploads", "--hours", "2")

    assert "Deleted 1 upload(s) not sent within 2 hour(s)." in capsys.readouterr().out
    assert not Attachment.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_an_upload_cut_off_part_way_leaves_no_file_and_no_row(media: Path) -> None:
    """The browser cancels, or the network drops, after half the body: nothing is kept."""
    ann = await User.objects.acreate(username="ann")
    await Room.objects.acreate(name="lobby")
    cookie = (await database_sync_to_async(session_headers)(ann))[0]
    boundary = "relay-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/chat/rooms/lobby/attachments/",
        "raw_path": b"/api/chat/rooms/lobby/attachments/",
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"content-length", str(len(head) + 1_000_000).encode()),
            cookie,
        ],
    }
    request: Any = cast(Any, ApplicationCommunicator)(application, scope)  # asgiref is untyped

    await request.send_input(
        {"type": "http.request", "body": head + b"x" * 400_000, "more_body": True}
    )
    await request.send_input({"type": "http.disconnect"})
    await request.wait(timeout=10)

    assert stored_files(media) == []
    assert not await Attachment.objects.aexists()
