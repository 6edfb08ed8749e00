from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def home_page(request: HttpRequest) -> HttpResponse:
    """The landing page: what each part of the product does."""
    return render(request, "home.html")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and the test harness: the process serves HTTP."""
    return JsonResponse(
        {"status": "ok", "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"]}
    )
