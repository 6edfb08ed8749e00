"""
Origin policy for WebSocket handshakes.

Browsers always send an Origin header with a WebSocket handshake and attach
the site's cookies, so a page on a foreign site could otherwise open a socket
as the signed-in user (cross-site WebSocket hijacking). A handshake from a
foreign origin is refused before it is accepted (HTTP 403). A handshake
without an Origin header cannot come from a browser page: it is a script or
a service, which carries its own credentials, and it is allowed.
"""

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    """Refuses handshakes from foreign origins; lets origin-less clients through."""

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        """Runs on every handshake, before the application sees it."""
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


def allowed_origins() -> list[str]:
    """Origins a browser page may connect from: the explicit list, else ALLOWED_HOSTS."""
    return list(settings.WEBSOCKET_ALLOWED_ORIGINS or settings.ALLOWED_HOSTS)


def origin_validator(application: Any) -> BrowserOriginValidator:
    """Wraps `application` in the project's origin policy."""
    return BrowserOriginValidator(application, allowed_origins())
