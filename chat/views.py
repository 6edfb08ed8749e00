from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chat.messages import MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH
from chat.rooms import ROOM_NAME_MAX_LENGTH, ROOM_NAME_RULE
from chat.selectors import rooms_of
from core.guests import ensure_guest_id


def chat_page(request: HttpRequest) -> HttpResponse:
    """The chat page; everything live happens in static/js/chat.js."""
    if not request.user.is_authenticated:
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
            "rooms": rooms_of(request.user) if request.user.is_authenticated else [],
        },
    )
