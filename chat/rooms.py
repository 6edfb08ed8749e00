"""Room names: what a valid one looks like."""

import re

ROOM_NAME_MAX_LENGTH = 64
ROOM_NAME_RULE = (
    f"Room names are 1 to {ROOM_NAME_MAX_LENGTH} characters: ASCII letters, digits, '-' and '_'."
)
_ROOM_NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{ROOM_NAME_MAX_LENGTH}}}")


def is_valid_room_name(name: str) -> bool:
    """Whether `name` may name a room (and so a channel-layer group)."""
    return _ROOM_NAME.fullmatch(name) is not None
