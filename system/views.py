from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def system_page(request: HttpRequest) -> HttpResponse:
    """The system page."""
    return render(request, "system/index.html")
