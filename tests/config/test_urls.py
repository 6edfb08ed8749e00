"""Every page in the navigation loads."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

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
