"""
The two ways a chat attachment could reach the server, side by side in the
project's own ASGI application, for bench.uploads to compare.

    uvicorn bench.upload_socket:application

- HTTP: `POST /bench/upload/`, multipart/form-data with one field `file`,
  answered 201 with `{"name": ..., "size": ...}`. A plain Django view that
  stands in for the attachment endpoint (/api/chat/rooms/<room>/attachments/):
  the same Django handler, middleware and upload handlers, and the file saved
  with `default_storage` as the endpoint saves it; only the token check and
  the room lookup are left out.
- WebSocket: `/bench/upload/`, behind the guards every project socket passes
  (core.guards: origin policy, frame size ceiling, session and user). The
  client sends a text frame `{"name": ..., "size": ...}`, then the bytes in
  binary frames (64 KiB each; anything up to WEBSOCKET_MAX_FRAME_BYTES is
  taken). The consumer appends them to a temporary file in a worker thread,
  off the event loop, answers every ACK_EVERY-th frame with
  `{"received": <bytes so far>}` for the client's progress bar, and after the
  last byte saves the file with `default_storage` (in a thread) and answers
  `{"stored": <size>, "name": ...}`. The same socket may then send the next
  upload's header.

Django's upload handlers keep a posted file over FILE_UPLOAD_MAX_MEMORY_SIZE
(2.5 MB) in a temporary file, and one under it in memory; the socket always
writes a temporary file (a TemporaryUploadedFile, as Django's). Storage then
moves a temporary file into MEDIA_ROOT, and writes one held in memory. Both
name the stored file uniquely, as an attachment's storage key must be. Every
other HTTP request and socket goes to config.asgi's application, unchanged.
"""

import asyncio
import json
import os
import uuid
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# Sets Django up, as every server process of the project does.
from config.asgi import application as project
from core.guards import guarded

UPLOAD_PATH = "/bench/upload/"
UPLOAD_FOLDER = "bench"  # under MEDIA_ROOT
ACK_EVERY = 8  # binary frames: every 512 KiB at 64 KiB a frame
CLOSE_BAD_UPLOAD = 4400


@csrf_exempt
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    """The attachment endpoint's work without its checks: store the file, say where."""
    file = request.FILES.get("file")
    if file is None or file.name is None:
        return JsonResponse({"detail": "No `file` field."}, status=400)
    name = default_storage.save(storage_name(file.name), file)
    return JsonResponse({"name": name, "size": file.size}, status=201)


def storage_name(name: str) -> str:
    """
    A name no other upload has: FileSystemStorage moves a large upload's
    temporary file into place after checking that the name is free, so two
    uploads of one name at once could otherwise end as one file.
    """
    return f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}-{name}"


urlpatterns = [path(UPLOAD_PATH.strip("/") + "/", upload)]


class UploadHandler(ASGIHandler):
    """Django's ASGI handler, resolving URLs with this module's `urlpatterns`."""

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # Django's documented hook for a request's own URLconf (a middleware's, usually).
        request.urlconf = __name__  # type: ignore[attr-defined]
        return await super().get_response_async(request)


class UploadConsumer(AsyncWebsocketConsumer):
    """Receives uploads one after another: a header frame, then the file's bytes."""

    upload: TemporaryUploadedFile | None = None
    expected = 0
    received = 0
    frames = 0

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.start(text_data)
        elif bytes_data is not None:
            await self.append(bytes_data)

    async def start(self, text: str) -> None:
        try:
            header = json.loads(text)
            name, size = str(header["name"]), int(header["size"])
        except (ValueError, KeyError, TypeError):
            await self.close(code=CLOSE_BAD_UPLOAD, reason="Expected {name, size}")
            return
        if self.upload is not None or size <= 0:
            await self.close(code=CLOSE_BAD_UPLOAD, reason="Upload already under way, or empty")
            return
        self.upload = await asyncio.to_thread(
            TemporaryUploadedFile, name, "application/octet-stream", size, None
        )
        self.expected, self.received, self.frames = size, 0, 0

    async def append(self, chunk: bytes) -> None:
        upload = self.upload
        if upload is None or self.received + len(chunk) > self.expected:
            await self.close(code=CLOSE_BAD_UPLOAD, reason="Bytes beyond the announced size")
            return
        await asyncio.to_thread(upload.write, chunk)
        self.received += len(chunk)
        self.frames += 1
        if self.received == self.expected:
            self.upload = None
            name = await asyncio.to_thread(store, upload)
            await self.send(text_data=json.dumps({"stored": self.received, "name": name}))
        elif self.frames % ACK_EVERY == 0:
            await self.send(text_data=json.dumps({"received": self.received}))

    async def disconnect(self, code: int) -> None:
        if self.upload is not None:  # cut off mid-upload: drop the temporary file
            await asyncio.to_thread(self.upload.close)
            self.upload = None


def store(upload: TemporaryUploadedFile) -> str:
    """Save a complete upload where the HTTP view saves it; its temporary file is moved there."""
    upload.flush()
    try:
        return default_storage.save(storage_name(upload.name or "upload"), upload)
    finally:
        upload.close()


project_http = project.application_mapping["http"]
project_websocket = project.application_mapping["websocket"]
upload_http = UploadHandler()
upload_websocket = guarded(UploadConsumer.as_asgi())


async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    app = upload_http if scope["path"] == UPLOAD_PATH else project_http
    await app(scope, receive, send)


async def websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    app = upload_websocket if scope["path"] == UPLOAD_PATH else project_websocket
    await app(scope, receive, send)


application = ProtocolTypeRouter(
    {**project.application_mapping, "http": http, "websocket": websocket}
)
