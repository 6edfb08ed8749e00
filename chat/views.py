from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chat.messages import MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH
from chat.models import Room
from chat.rooms import ROOM_NAME_MAX_LENGTH, ROOM_NAME_RULE
from chat.selectors import rooms_of
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
            "name_max_length": NAME_MAX_LENGTH,
            "room_max_length": ROOM_NAME_MAX_LENGTH,
            "room_rule": ROOM_NAME_RULE,
            "rooms": rooms,
            "private_rooms": [room for room in rooms if room["kind"] != Room.Kind.DIRECT],
            "direct_rooms": [room for room in rooms if room["kind"] == Room.Kind.DIRECT],
        },
    )
