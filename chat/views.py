from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chat.messages import MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH
from chat.rooms import ROOM_NAME_MAX_LENGTH, ROOM_NAME_RULE


def chat_page(request: HttpRequest) -> HttpResponse:
    """The chat page; everything live happens in static/js/chat.js."""
    return render(
        request,
        "chat/index.html",
        {
            "message_max_length": MESSAGE_MAX_LENGTH,
            "name_max_length": NAME_MAX_LENGTH,
            "room_max_length": ROOM_NAME_MAX_LENGTH,
            "room_rule": ROOM_NAME_RULE,
        },
    )
