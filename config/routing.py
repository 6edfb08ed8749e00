"""
WebSocket URL tree: each app owns its router, composed here under /ws/.

    /ws/chat/<room_name>/   chat rooms
    /ws/assistants/         the assistant
    /ws/system/             echo, jobs and notifications

Any other path is closed with 4404 (see core.routing.UnknownPathGuard).
"""

from channels.routing import URLRouter
from chanx.channels.routing import include, path

ws_router = URLRouter(
    [
        path("chat/", include("chat.routing")),
        path("assistants/", include("assistants.routing")),
        path("system/", include("system.routing")),
    ]
)

router = URLRouter(
    [
        path("ws/", include(ws_router)),
    ]
)
