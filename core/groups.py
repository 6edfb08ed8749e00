"""
Channel-layer group names, built in one place.

Channels accepts ASCII letters, digits, '-', '_' and '.' in a group name,
shorter than 100 characters; every name built here stays within that.
"""


def user_group(user_id: int) -> str:
    """Every open connection of one signed-in user, whatever it is connected to."""
    return f"user.{user_id}"


def session_group(session_fingerprint: str) -> str:
    """Every connection opened with one browser session (see core.credentials)."""
    return f"session.{session_fingerprint}"


def token_group(token_fingerprint: str) -> str:
    """Every connection opened with one API token (see core.credentials)."""
    return f"token.{token_fingerprint}"


def chat_user_group(user_id: int) -> str:
    """Every chat connection of one signed-in user: what happens to them outside a room."""
    return f"chat.user.{user_id}"


def chat_room_group(room_name: str) -> str:
    """Everyone connected to chat room `room_name`."""
    return f"chat.room.{room_name}"


def assistant_conversation_group(conversation_id: object) -> str:
    """Every open connection showing one assistant conversation (all its tabs)."""
    return f"assistant.conversation.{conversation_id}"


def jobs_group(owner_key: str) -> str:
    """Every /ws/system/ connection of one owner (see core.owners.Owner.key)."""
    return f"system.jobs.{owner_key}"


NOTIFICATIONS_GROUP = "system.notifications"
"""Every /ws/system/ connection, on every server process."""
