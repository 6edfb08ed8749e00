"""What the AsyncAPI document says about the assistant endpoint."""

from typing import Any


def test_the_assistant_channel_documents_the_streaming_contract(
    asyncapi_schema: dict[str, Any],
) -> None:
    assistant = asyncapi_schema["channels"]["assistant"]

    assert assistant["address"] == "ws/assistants/"
    assert set(assistant["messages"]) >= {
        "assistant_message",
        "stop_streaming",
        "conversation_state",
        "streaming_start",
        "streaming",
        "complete_streaming",
    }
    assert {"handle_assistant_message", "handle_stop_streaming"} <= set(
        asyncapi_schema["operations"]
    )
