"""Every page in the navigation loads, built or not."""

import pytest
from django.apps import apps
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import URLPattern, resolve

from core.placeholders import part_not_built, parts_not_built

pytestmark = pytest.mark.django_db


NAVIGATION = ["/", "/chat/", "/assistants/", "/system/", "/accounts/login/"]


@pytest.mark.parametrize("url", NAVIGATION)
def test_every_page_in_the_navigation_loads(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert b"<nav>" in response.content


@pytest.mark.parametrize("url", [*NAVIGATION, "/accounts/signup/"])
def test_every_page_links_the_sites_icon(client: Client, url: str) -> None:
    page = client.get(url).content.decode()

    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page


def test_favicon_ico_leads_to_the_sites_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]
    icon = finders.find("favicon.svg")
    assert isinstance(icon, str)
    with open(icon, encoding="utf-8") as svg:
        assert svg.read().startswith("<svg ")


def test_a_part_whose_app_is_not_installed_gets_a_page_saying_so(client: Client) -> None:
    (placeholder,) = parts_not_built({"teleport": "Teleport"})

    assert str(placeholder.pattern) == "teleport/"
    (index,) = placeholder.url_patterns
    assert isinstance(index, URLPattern)
    assert (index.name, index.default_args) == ("index", {"title": "Teleport"})
    page = part_not_built(client.get("/").wsgi_request, title="Teleport").content.decode()
    assert "<h1>Teleport</h1>" in page
    assert "not built yet" in page


@pytest.mark.parametrize("app", ["chat", "assistants", "system"])
def test_a_part_page_is_a_placeholder_exactly_while_its_app_is_not_installed(app: str) -> None:
    assert (resolve(f"/{app}/").func is part_not_built) == (not apps.is_installed(app))
