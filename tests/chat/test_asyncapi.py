"""What the AsyncAPI document says about the chat endpoint."""

from typing import Any


def test_the_chat_channel_documents_every_chat_message(asyncapi_schema: dict[str, Any]) -> None:
    chat = asyncapi_schema["channels"]["chat"]

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
    } <= set(asyncapi_schema["operations"])


def test_both_ways_to_authenticate_are_documented(asyncapi_schema: dict[str, Any]) -> None:
    schemes = asyncapi_schema["components"]["securitySchemes"]

    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("cookie", "sessionid"),
        ("header", "Authorization"),
    }


def test_the_documented_message_limits_are_the_enforced_ones(
    asyncapi_schema: dict[str, Any],
) -> None:
    payload = asyncapi_schema["components"]["schemas"]["ChatMessageInput"]

    assert payload["properties"]["message"]["maxLength"] == 2000
    assert payload["additionalProperties"] is False
