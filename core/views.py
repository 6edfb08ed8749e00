from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from rest_framework.authtoken.models import Token


def home_page(request: HttpRequest) -> HttpResponse:
    """The landing page: what each part of the product does."""
    return render(request, "home.html")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and the test harness: the process serves HTTP."""
    return JsonResponse(
        {"status": "ok", "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"]}
    )


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Clients that ask for /favicon.ico without reading a page's icon link get the site's."""
    return redirect(static("favicon.svg"))


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and sign straight in."""
    form: UserCreationForm[User] = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("chat:index")
        return redirect(next_url)
    return render(request, "registration/signup.html", {"form": form})


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API token, for clients that cannot use the session cookie."""
    token, _ = Token.objects.get_or_create(user=request.user)
    return render(request, "registration/token.html", {"token": token.key})
