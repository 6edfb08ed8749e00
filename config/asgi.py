"""
ASGI entry point for daphne, uvicorn and `manage.py runserver`.

HTTP goes to Django; WebSockets pass the origin policy, the frame size
limit, then the session and user middleware, then the URL tree in
config/routing.py (unrouted paths are closed with 4404).
"""

import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from config.routing import router  # noqa: E402
from core.frames import FrameSizeLimit  # noqa: E402
from core.origins import origin_validator  # noqa: E402
from core.routing import UnknownPathGuard  # noqa: E402
from core.startup import log_startup_summary  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_validator(
            FrameSizeLimit(AuthMiddlewareStack(UnknownPathGuard(router)))
        ),
    }
)

log_startup_summary()
