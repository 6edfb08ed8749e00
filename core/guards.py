"""The checks every WebSocket passes before it reaches an endpoint."""

from typing import Any

from channels.auth import AuthMiddlewareStack

from core.frames import FrameSizeLimit
from core.origins import origin_validator


def guarded(application: Any) -> Any:
    """Origin policy (refused before accept), frame size ceiling, then session and user."""
    return origin_validator(FrameSizeLimit(AuthMiddlewareStack(application)))
