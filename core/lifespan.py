"""
The ASGI lifespan protocol: what a server process does as it stops.

uvicorn and granian send `lifespan.shutdown` once the connections are
closed; the event loop's database pool (core.pg) is closed then, rather than
left to be torn down with the loop. daphne does not speak this protocol:
its connections simply end with the process.
"""

from typing import Any

from core import pg


async def lifespan(scope: Any, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await pg.close_pools()
            await send({"type": "lifespan.shutdown.complete"})
            return
