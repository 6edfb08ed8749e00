from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistants.messages import QUESTION_MAX_LENGTH
from assistants.services import Owner, conversations_of
from core.guests import ensure_guest_id


def owner_of(request: HttpRequest) -> Owner:
    if request.user.is_authenticated:
        return Owner(user_id=int(request.user.pk), guest_id="")
    return Owner(user_id=None, guest_id=ensure_guest_id(request))


def assistants_page(request: HttpRequest) -> HttpResponse:
    """The assistant page: your conversations; the answers stream in static/js/assistants.js."""
    return render(
        request,
        "assistants/index.html",
        {
            "conversations": conversations_of(owner_of(request)),
            "current": request.GET.get("conversation", ""),
            "question_max_length": QUESTION_MAX_LENGTH,
        },
    )
