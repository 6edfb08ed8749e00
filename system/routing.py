from channels.routing import URLRouter
from chanx.channels.routing import path

from system.consumers import EchoConsumer, SystemConsumer

router = URLRouter(
    [
        path("", SystemConsumer.as_asgi()),
        path("echo/", EchoConsumer.as_asgi()),
    ]
)
