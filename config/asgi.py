"""
ASGI entry point for daphne, uvicorn and `manage.py runserver`.

HTTP goes to Django and the lifespan protocol to core.lifespan; WebSockets
pass the guards in core.guards (origin policy, frame size limit, session and
user), then the URL tree in config/routing.py (unrouted paths are closed
with 4404).
"""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from config.routing import router  # noqa: E402
from core.guards import guarded  # noqa: E402
from core.lifespan import lifespan  # noqa: E402
from core.routing import UnknownPathGuard  # noqa: E402
from core.startup import log_startup_summary  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "lifespan": lifespan,
        "websocket": guarded(UnknownPathGuard(router)),
    }
)

log_startup_summary()
