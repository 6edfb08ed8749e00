"""Room names: what a valid one looks like, and which ones only direct rooms may have."""

import re

ROOM_NAME_MAX_LENGTH = 64
ROOM_NAME_RULE = (
    f"Room names are 1 to {ROOM_NAME_MAX_LENGTH} characters: ASCII letters, digits, '-' and '_'."
)
_ROOM_NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{ROOM_NAME_MAX_LENGTH}}}")

# Direct rooms are named after their two users (dm-<id>-<id>), so their names
# can be guessed: no other room may have one, in any case.
DIRECT_ROOM_PREFIX = "dm-"
RESERVED_NAME_RULE = (
    f"Room names starting with {DIRECT_ROOM_PREFIX!r} are kept for direct messages."
)


def is_valid_room_name(name: str) -> bool:
    """Whether `name` may name a room (and so a channel-layer group)."""
    return _ROOM_NAME.fullmatch(name) is not None


def is_direct_room_name(name: str) -> bool:
    """Whether `name` is one that only a direct room may have."""
    return name.lower().startswith(DIRECT_ROOM_PREFIX)


def direct_room_name(first_user_id: int, second_user_id: int) -> str:
    """The name of the direct room of two users, the same whichever asks."""
    low, high = sorted((first_user_id, second_user_id))
    return f"{DIRECT_ROOM_PREFIX}{low}-{high}"
