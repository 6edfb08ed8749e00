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


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get("/asyncapi/schema/")
    assert response.status_code == 200
    return dict(response.json())


def parser_diagnostics(path: Path) -> tuple[int, list[dict[str, str]]]:
    require_node_modules()
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, str(VALIDATOR), str(path)], cwd=BASE_DIR, capture_output=True, text=True
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.returncode, lines


def test_the_document_names_the_api_and_its_server(schema: dict[str, Any]) -> None:
    assert schema["info"]["title"] == "Relay real-time API"
    assert "close" in schema["info"]["description"]
    (server,) = schema["servers"].values()
    assert server == {"host": "testserver", "protocol": "ws"}


def test_the_chat_channel_documents_every_chat_message(schema: dict[str, Any]) -> None:
    chat = schema["channels"]["chat"]

    assert chat["address"] == "ws/chat/{room_name}/"
    assert set(chat["messages"]) >= {
        "new_chat_message",
        "posted_chat_message",
        "message_accepted",
        "load_history",
        "chat_history",
        "chat_resumed",
        "resync_required",
        "presence_state",
        "presence_joined",
        "presence_left",
        "typing",
        "user_typing",
        "direct_message_received",
        "ping_message",
        "pong_message",
    }
    assert {
        "handle_new_chat_message",
        "handle_load_history",
        "handle_typing",
        "handle_ping",
    } <= set(schema["operations"])


def test_both_ways_to_authenticate_are_documented(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]

    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("cookie", "sessionid"),
        ("header", "Authorization"),
    }


def test_the_documented_message_limits_are_the_enforced_ones(schema: dict[str, Any]) -> None:
    payload = schema["components"]["schemas"]["ChatMessageInput"]

    assert payload["properties"]["message"]["maxLength"] == 2000
    assert payload["additionalProperties"] is False


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


def test_the_assistant_channel_documents_the_streaming_contract(schema: dict[str, Any]) -> None:
    assistant = schema["channels"]["assistant"]

    assert assistant["address"] == "ws/assistants/"
    assert set(assistant["messages"]) >= {
        "assistant_message",
        "stop_streaming",
        "conversation_state",
        "streaming_start",
        "streaming",
        "complete_streaming",
    }
    assert {"handle_assistant_message", "handle_stop_streaming"} <= set(schema["operations"])


def test_the_system_channels_document_jobs_notifications_and_echo(schema: dict[str, Any]) -> None:
    channels = {channel["address"]: channel for channel in schema["channels"].values()}

    assert set(channels["ws/system/"]["messages"]) >= {
        "system_message",
        "cancel_job",
        "broadcast_notification",
        "job_list",
        "job_queued",
        "job_progress",
        "job_result",
        "system_notification",
    }
    assert set(channels["ws/system/echo/"]["messages"]) >= {
        "echo_greeting",
        "text_echo",
        "json_echo",
        "binary_echo",
    }
    assert "ZLIB" in channels["ws/system/echo/"]["description"]
