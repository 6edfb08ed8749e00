"""
Channel layer selection.

Redis is used when REDIS_URL is set or when a Redis answers at the default
address; otherwise the in-memory layer, which only reaches consumers in the
same process. The choice is made once, when settings load, and summarised in
one line that the server logs at start-up.
"""

import socket
from typing import Any
from urllib.parse import urlsplit

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# A frame handled by chanx runs as its own task, so bursts open many
# connections at once; redis-py 8's async pool stops at 100 by default.
REDIS_MAX_CONNECTIONS = 1000


def redis_answers(url: str, timeout: float = 0.3) -> bool:
    """Whether something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout):
            return True
    except OSError:
        return False


def redis_layer(url: str, *, prefix: str) -> dict[str, Any]:
    """CHANNEL_LAYERS entry for channels-redis at `url`."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    # redis-py 8 defaults to a 5 s socket timeout, but the layer
                    # blocks up to 5 s in BZPOPMIN: idle sockets would die.
                    "socket_timeout": None,
                    "max_connections": REDIS_MAX_CONNECTIONS,
                }
            ],
            "prefix": prefix,
        },
    }


IN_MEMORY_LAYER: dict[str, Any] = {"BACKEND": "channels.layers.InMemoryChannelLayer"}


def channel_layer_config(
    redis_url: str | None, *, prefix: str
) -> tuple[dict[str, dict[str, Any]], str]:
    """The CHANNEL_LAYERS setting and a one-line summary of the choice."""
    if redis_url:
        return {"default": redis_layer(redis_url, prefix=prefix)}, (
            f"channel layer: Redis at {display_url(redis_url)} (from REDIS_URL)"
        )
    if redis_answers(DEFAULT_REDIS_URL):
        return {"default": redis_layer(DEFAULT_REDIS_URL, prefix=prefix)}, (
            f"channel layer: Redis at {display_url(DEFAULT_REDIS_URL)}"
        )
    return {"default": IN_MEMORY_LAYER}, (
        f"channel layer: IN-MEMORY, no Redis answered at {display_url(DEFAULT_REDIS_URL)} "
        "and REDIS_URL is unset. Chat works inside this one server process only: "
        "other server processes, workers and management commands cannot reach its clients."
    )


def display_url(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}:{parts.port or 6379}"
        return parts._replace(netloc=netloc).geturl()
    return url
