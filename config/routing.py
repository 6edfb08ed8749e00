"""
WebSocket URL tree: each app owns its router, composed here under /ws/.

Any other path is closed with 4404 (see core.routing.UnknownPathGuard).
"""

from channels.routing import URLRouter
from chanx.channels.routing import include, path

ws_router = URLRouter(
    [
        # One line per app: its own routing module, under its own prefix.
        path("chat/", include("chat.routing")),
        path("assistants/", include("assistants.routing")),
        path("system/", include("system.routing")),
    ]
)

router = URLRouter(
    [
        # Every WebSocket endpoint lives under /ws/.
        path("ws/", include(ws_router)),
    ]
)
