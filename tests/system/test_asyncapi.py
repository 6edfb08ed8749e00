"""What the AsyncAPI document says about the system endpoints."""

from typing import Any


def test_the_system_channels_document_jobs_notifications_and_echo(
    asyncapi_schema: dict[str, Any],
) -> None:
    channels = {channel["address"]: channel for channel in asyncapi_schema["channels"].values()}

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
