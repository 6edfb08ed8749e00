from channels.routing import URLRouter
from chanx.channels.routing import path

from chat.consumers import ChatConsumer, RoomsConsumer

router = URLRouter(
    [
        path("", RoomsConsumer.as_asgi()),
        path("<str:room_name>/", ChatConsumer.as_asgi()),
    ]
)
