from typing import Any, cast

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import content_disposition_header
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from chat import files
from chat.messages import ATTACHMENTS_PER_MESSAGE_MAX, MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH
from chat.models import Room
from chat.rooms import ROOM_NAME_MAX_LENGTH, ROOM_NAME_RULE
from chat.selectors import is_site_moderator, rooms_of
from chat.serializers import RoomSerializer
from core.guests import ensure_guest_id


def chat_page(request: HttpRequest) -> HttpResponse:
    """The chat page; everything live happens in static/js/chat.js."""
    rooms: list[dict[str, Any]] = []
    if request.user.is_authenticated:
        # The same view of each room as the API's, so the page can keep it fresh from there.
        context = {"user": request.user}
        rooms = [
            dict(RoomSerializer(room, context=context).data) for room in rooms_of(request.user)
        ]
    else:
        # Gives guests a session, so all their tabs are one person in presence.
        ensure_guest_id(request)
    return render(
        request,
        "chat/index.html",
        {
            "message_max_length": MESSAGE_MAX_LENGTH,
            "attachment_max_bytes": files.size_limit(),
            "attachments_max": ATTACHMENTS_PER_MESSAGE_MAX,
            "name_max_length": NAME_MAX_LENGTH,
            "room_max_length": ROOM_NAME_MAX_LENGTH,
            "room_rule": ROOM_NAME_RULE,
            "rooms": rooms,
            "site_moderator": is_site_moderator(request.user),
            "private_rooms": [room for room in rooms if room["kind"] != Room.Kind.DIRECT],
            "direct_rooms": [room for room in rooms if room["kind"] == Room.Kind.DIRECT],
        },
    )


# Downloads go through DRF's authenticators: a browser's session, or a script's token.
@api_view(["GET"])
@permission_classes([AllowAny])  # a public room's files are anyone's to read
def attachment(request: Request, attachment_id: int, name: str) -> HttpResponse | FileResponse:
    """
    A file sent with a message, to whoever may read its room now (checked
    at every download): an image inline, any other file as a download.
    Anyone else gets the same 404 as for a file that does not exist.
    """
    found = files.downloadable(attachment_id, request.user)
    if found is None:
        raise Http404("No such file.")
    return _served(found.file, found.content_type, found.name, inline=found.is_image)


@api_view(["GET"])
@permission_classes([AllowAny])
def thumbnail(request: Request, attachment_id: int) -> HttpResponse | FileResponse:
    found = files.downloadable(attachment_id, request.user)
    if found is None or not found.thumbnail:
        raise Http404("No such file.")
    preview_type = "image/png" if found.thumbnail.name.endswith(".png") else "image/jpeg"
    return _served(found.thumbnail, preview_type, found.name, inline=True)


def _served(
    stored: FieldFile, content_type: str, name: str, *, inline: bool
) -> HttpResponse | FileResponse:
    """
    From local storage, the file itself; from another storage (S3), a
    redirect to a URL it signs for a short time (django-storages does).
    """
    disposition = content_disposition_header(not inline, name)
    if not isinstance(stored.storage, FileSystemStorage):
        # The signed URL makes the storage answer with the same headers as below.
        headers = {"ResponseContentType": content_type, "ResponseContentDisposition": disposition}
        signed: str = cast(Any, stored.storage).url(stored.name, parameters=headers)
        return HttpResponseRedirect(signed)
    response = FileResponse(
        stored.open("rb"), as_attachment=not inline, filename=name, content_type=content_type
    )
    # Each person's copy: who may read a room changes, so no shared cache may keep it.
    response["Cache-Control"] = "private, max-age=3600"
    if inline:
        # Even an image is never run as a page: no scripts, no styles from it.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
