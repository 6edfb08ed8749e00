"""The AsyncAPI document: what it says, and that the official parser accepts it."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from tests.support.servers import BASE_DIR
from tests.support.services import require_node_modules

VALIDATOR = BASE_DIR / "tests" / "support" / "validate_asyncapi.mjs"


def parser_diagnostics(path: Path) -> tuple[int, list[dict[str, str]]]:
    require_node_modules()
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, str(VALIDATOR), str(path)], cwd=BASE_DIR, capture_output=True, text=True
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.returncode, lines


def test_the_document_names_the_api_and_its_server(asyncapi_schema: dict[str, Any]) -> None:
    assert asyncapi_schema["info"]["title"] == "Relay real-time API"
    assert "close" in asyncapi_schema["info"]["description"]
    (server,) = asyncapi_schema["servers"].values()
    assert server == {"host": "testserver", "protocol": "ws"}


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_the_official_parser_accepts_the_document(client: Client, tmp_path: Path, fmt: str) -> None:
    response = client.get("/asyncapi/schema/", {"format": fmt})
    assert response.status_code == 200
    if fmt == "yaml":
        assert yaml.safe_load(response.content)["asyncapi"].startswith("3.")
    document = tmp_path / f"asyncapi.{fmt}"
    document.write_bytes(response.content)

    returncode, diagnostics = parser_diagnostics(document)

    errors = [d for d in diagnostics if d["severity"] == "Error"]
    assert returncode == 0, errors
    assert errors == []


def test_the_parser_check_itself_rejects_a_broken_document(tmp_path: Path) -> None:
    document = tmp_path / "broken.json"
    document.write_text(json.dumps({"asyncapi": "3.0.0", "info": {"title": "no version"}}))

    returncode, diagnostics = parser_diagnostics(document)

    assert returncode == 1
    assert any(d["severity"] == "Error" for d in diagnostics)


def test_the_docs_page_loads_its_viewer_from_our_static_files(client: Client) -> None:
    require_node_modules()

    page = client.get("/asyncapi/docs/").content.decode()

    assert 'src="/static/vendor/asyncapi/index.js"' in page
    assert 'href="/static/vendor/asyncapi/styles/default.min.css"' in page
    assert "unpkg.com" not in page
