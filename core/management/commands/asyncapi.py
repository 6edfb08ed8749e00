"""
The AsyncAPI document as the server serves it, written to (or checked against)
the committed copy, schema/asyncapi.yaml.

    python manage.py asyncapi            # write it
    python manage.py asyncapi --check    # exit 1 if the committed copy differs

The copy is what reviewers read: a change to the wire format shows up in the
diff of a pull request, and tests/core/test_asyncapi_command.py fails while
the two differ.
"""

from pathlib import Path
from typing import Any

from chanx.channels.views import AsyncAPISchemaView
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

# The host the committed document names as its server: the development server's.
DOCUMENT_HOST = "localhost:8000"


def committed_path() -> Path:
    return Path(settings.BASE_DIR) / "schema" / "asyncapi.yaml"


def served_document() -> bytes:
    """The YAML /asyncapi/schema/ serves to a request for DOCUMENT_HOST."""
    request = RequestFactory().get(
        reverse("asyncapi_schema"), {"format": "yaml"}, HTTP_HOST=DOCUMENT_HOST
    )
    response = AsyncAPISchemaView.as_view()(request)
    if not isinstance(response, HttpResponse) or response.status_code != 200:
        raise CommandError(f"the schema view answered {response.status_code}")
    return response.content


class Command(BaseCommand):
    help = "Write the AsyncAPI document the server serves to schema/asyncapi.yaml, or --check it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="exit 1 if the committed copy differs"
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        path = committed_path()
        served = served_document()
        if check:
            if not path.exists() or path.read_bytes() != served:
                raise CommandError(
                    f"{path.relative_to(settings.BASE_DIR)} is not what the server serves: "
                    "run `make schema` and commit the change"
                )
            self.stdout.write(f"{path.relative_to(settings.BASE_DIR)} is up to date")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(served)
        self.stdout.write(f"wrote {path.relative_to(settings.BASE_DIR)}")
