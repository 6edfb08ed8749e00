"""
Pages for parts of the product whose app is not installed.

The tutorial builds the product one app at a time; until an app is built,
its page still loads and says so, and every link to it keeps working. Once
every app is installed, `parts_not_built()` adds no routes at all.
"""

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLResolver, include, path


def part_not_built(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "part_not_built.html", {"title": title})


def parts_not_built(parts: dict[str, str]) -> list[URLResolver]:
    """A placeholder `<app>/` page, named `<app>:index`, for each app not installed."""
    return [
        path(f"{app}/", include(([path("", part_not_built, {"title": title}, name="index")], app)))
        for app, title in parts.items()
        if not apps.is_installed(app)
    ]
