"""
Sending a text frame without awaiting anything: an ASGI scope extension.

ASGI's `send` is a coroutine, and a server may make it wait: uvicorn waits
while the client's transport buffer is over its high-water mark, which a
client that stops reading keeps it. One task that delivers to many sockets
(the channel layer's, see core.layers) must never wait on one of them. A
server that can offers `scope["extensions"][IMMEDIATE_SEND]`: ask `ready()`,
and while it is True (the socket open, its buffer under the mark), with no
await in between, `send_text` writes the frame at once. When it is not
ready, fall back to `send`. Consumers write their own text frames this way
too while the socket is ready: it skips every `send` wrapper between the
consumer and the socket. The production server's protocol offers it
(core.serving); where no server does, nothing changes.
"""

from typing import Protocol

IMMEDIATE_SEND = "relay.immediate_send"


class ImmediateSend(Protocol):
    def ready(self) -> bool: ...

    def send_text(self, text: str) -> None: ...
