from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistants.messages import QUESTION_MAX_LENGTH
from assistants.services import conversations_of
from core.owners import owner_from_request


def assistants_page(request: HttpRequest) -> HttpResponse:
    """The assistant page: your conversations; the answers stream in static/js/assistants.js."""
    return render(
        request,
        "assistants/index.html",
        {
            "conversations": conversations_of(owner_from_request(request)),
            "current": request.GET.get("conversation", ""),
            "question_max_length": QUESTION_MAX_LENGTH,
        },
    )
