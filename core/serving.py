"""
uvicorn's WebSocket protocol, made to let go of clients that stop reading.

uvicorn 0.54 closes a connection whose pings go unanswered, or that the
application closed, with `transport.close()`, which waits until everything
buffered has been written. A client that stopped reading never lets that
happen: its socket, with megabytes of kernel buffer, stays open for as long
as the client likes. This protocol resets such a connection once the close
has had `close_timeout` seconds to finish. Production serves with it:

    uvicorn config.asgi:application --ws core.serving:WebSocketProtocol ...

It also offers the scope extension core.immediate describes: a text frame
sent without awaiting anything, when the socket takes it at once; and logs
each close, as uvicorn logs each handshake (core.logs).
"""

import socket
import struct
from typing import Any, cast

from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from core.immediate import IMMEDIATE_SEND
from core.logs import WEBSOCKET_CLOSED


class ImmediateSender:
    """
    core.immediate.ImmediateSend for one connection of this protocol.

    A room event reaches every member with the same text, and a frame from
    the server (unmasked, uncompressed) is the same bytes on every
    connection: the last text's frame is kept, so a broadcast is framed
    once per process, not once per member, and written as it is.
    """

    last_text: str | None = None
    last_frame = b""

    def __init__(self, protocol: "WebSocketProtocol") -> None:
        self.protocol = protocol

    def ready(self) -> bool:
        protocol = self.protocol
        return (
            protocol.writable.is_set()
            and protocol.handshake_complete
            and not protocol.close_sent
            and not protocol.disconnected
            and protocol.conn.state is State.OPEN
        )

    def send_text(self, text: str) -> None:
        protocol = self.protocol
        if protocol.conn.extensions:
            # Compressed, the frame depends on the connection: websockets frames it.
            protocol.conn.send_text(text.encode())
            protocol.transport.write(b"".join(protocol.conn.data_to_send()))
            return
        if text is not ImmediateSender.last_text:
            frame = Frame(Opcode.TEXT, text.encode())
            ImmediateSender.last_frame = frame.serialize(mask=False, extensions=[])
            ImmediateSender.last_text = text
        protocol.transport.write(ImmediateSender.last_frame)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:
            # ASGI types an extension's value as a dict; this one is an object.
            extensions = cast(dict[str, Any], self.scope["extensions"])
            extensions[IMMEDIATE_SEND] = ImmediateSender(self)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # uvicorn logs a handshake, not the close: the close's line, once a handshake arrived.
        if hasattr(self, "scope"):
            close = self.conn.close_rcvd or self.conn.close_sent
            self.logger.info(
                WEBSOCKET_CLOSED,
                get_client_addr(self.scope),
                get_path_with_query_string(self.scope),
                close.code if close else 1006,
            )

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.abort_unless_closed_in_time()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.close" and self.close_sent:
            self.abort_unless_closed_in_time()

    def abort_unless_closed_in_time(self) -> None:
        self.loop.call_later(self.close_timeout, self.abort_if_still_open)

    def abort_if_still_open(self) -> None:
        if self.disconnected:
            return
        # Reset rather than close: a close would leave the unsent megabytes
        # in the kernel, queued behind a FIN the client never acknowledges.
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
