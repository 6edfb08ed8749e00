"""Uploaded files on S3-compatible storage, against a stand-in that speaks S3 over a real socket."""

import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from moto.server import ThreadedMotoServer

from chat import files, services
from chat.models import Room
from chat.participants import participant_for
from core.media import media_storage
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

BUCKET = "relay-media"


def test_without_a_bucket_files_are_kept_on_the_local_disk() -> None:
    assert media_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_makes_private_objects_reached_by_short_signed_urls() -> None:
    storage = media_storage({"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": "http://s3.local"})

    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"]) == (BUCKET, "http://s3.local")
    assert (options["default_acl"], options["querystring_auth"]) == (None, True)
    assert options["querystring_expire"] <= 300
    assert options["signature_version"] == "s3v4"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An S3 stand-in (moto's server) with an empty bucket, and the settings that use it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "relay-test",
        "AWS_SECRET_ACCESS_KEY": "relay-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = boto3.resource("s3", endpoint_url=endpoint).Bucket(BUCKET)
    bucket.create()
    storage = media_storage({"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": endpoint})
    try:
        with override_settings(STORAGES={"default": storage, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):  # fmt: skip
            yield bucket
    finally:
        server.stop()


def test_a_file_sent_in_a_room_is_stored_in_the_bucket_and_downloaded_through_a_signed_url(
    s3: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ann = User.objects.create_user("ann")
    Room.objects.create(name="lobby")
    stored = files.upload(
        room_name="lobby", user=ann, file=SimpleUploadedFile("notes.txt", b"the minutes")
    )
    posted = services.post_message(
        room_name="lobby",
        author=participant_for(ann, guest_id=None, guest_name=None, connection="c"),
        user=ann,
        body="",
        client_id="with-notes",
        attachments=[stored.pk],
    )
    assert [item.key for item in s3.objects.all()] == [f"media/{stored.file.name}"]

    reply = Client().get(f"/chat/files/{stored.pk}/notes.txt")
    assert reply.status_code == 302
    assert "X-Amz-Signature=" in reply["Location"]
    with urllib.request.urlopen(reply["Location"], timeout=10) as download:
        assert download.read() == b"the minutes"
        assert download.headers["Content-Disposition"].startswith("attachment")

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_message(
            room_name="lobby", user=ann, seq=posted.message.seq, client_id="gone"
        )
    assert list(s3.objects.all()) == []
