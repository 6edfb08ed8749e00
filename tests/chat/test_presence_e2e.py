"""Presence across real server processes: a killed process's users drop out in bounded time."""

import time
from pathlib import Path

from websockets.asyncio.client import connect

from tests.support.client import receive_action
from tests.support.servers import manage, running_server, server_env
from tests.support.services import unique_prefix

TTL = 2
HEARTBEAT = 0.5
QUIET = frozenset({"user_typing"})


async def test_users_of_a_killed_server_process_leave_presence_within_ttl_plus_heartbeat(
    tmp_path: Path, shared_redis_url: str
) -> None:
    env = server_env(
        tmp_path, settings="config.settings.dev", redis_url=shared_redis_url,
        prefix=unique_prefix(),
    )  # fmt: skip
    env.update(CHAT_PRESENCE_TTL=str(TTL), CHAT_PRESENCE_HEARTBEAT=str(HEARTBEAT))
    manage(env, "migrate", "--noinput")
    room = "presence-kill"

    with running_server(env, tmp_path) as survivor, running_server(env, tmp_path) as doomed:
        async with connect(f"{survivor.ws_url}/ws/chat/{room}/?name=Watcher") as watcher:
            for action in ("authentication", "chat_history", "presence_state"):
                await receive_action(watcher, action, ignore=QUIET)
            victim = await connect(
                f"{doomed.ws_url}/ws/chat/{room}/?name=Doomed", close_timeout=0.1
            )
            for action in ("authentication", "chat_history", "presence_state"):
                await receive_action(victim, action, ignore=QUIET)
            arrival = await receive_action(watcher, "presence_joined", ignore=QUIET)

            doomed.process.kill()
            killed_at = time.monotonic()
            departure = await receive_action(watcher, "presence_left", ignore=QUIET)
            took = time.monotonic() - killed_at
            victim.transport.abort()

    assert arrival["payload"]["participant"]["name"] == "Doomed"
    assert departure["payload"]["participant"] == arrival["payload"]["participant"]
    assert took <= TTL + HEARTBEAT + 1.0, f"left presence after {took:.1f} s"
