from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def assistants_page(request: HttpRequest) -> HttpResponse:
    """The assistant page."""
    return render(request, "assistants/index.html")
