"""A server told to stop (SIGTERM) closes its sockets with 1012, so clients reconnect elsewhere."""

import signal
import time
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.client import receive_action
from tests.support.servers import migrated_env, running_server

SERVICE_RESTART = 1012


async def close_code(ws: ClientConnection) -> int | None:
    """Read on until the server closes; the code its close frame carried."""
    try:
        async for _ in ws:
            pass
    except ConnectionClosed:
        pass
    return ws.close_code


async def test_sigterm_to_the_production_server_closes_every_socket_with_1012(
    tmp_path: Path, e2e_redis_url: str | None
) -> None:
    env = migrated_env(tmp_path, redis_url=e2e_redis_url)
    with running_server(env, tmp_path, "uvicorn") as server:
        async with (
            connect(f"{server.ws_url}/ws/chat/leaving/") as chatting,
            connect(f"{server.ws_url}/ws/system/") as watching,
        ):
            for ws in (chatting, watching):
                await receive_action(ws, "authentication")
            asked = time.monotonic()

            server.process.send_signal(signal.SIGTERM)

            codes = [await close_code(ws) for ws in (chatting, watching)]
        assert codes == [SERVICE_RESTART, SERVICE_RESTART]
        assert time.monotonic() - asked < 5
        assert server.process.wait(timeout=15) is not None
