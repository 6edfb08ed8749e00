"""
Scaled out as in production: two uvicorn processes (scripts/serve-production)
on different ports and a Celery worker, sharing one Redis and one PostgreSQL,
and the balancer (nginx with deploy/nginx.conf) in front of them. A client
sees the same chat, presence, history and notifications whichever process it
reaches (and the same read state in every tab), and the balancer sends all
of a room's clients to the same one.
"""

import secrets
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import connect

from tests.support.balancer import Balancer, running_balancer
from tests.support.client import receive_action, receive_json, send_json
from tests.support.rooms import (
    QUIET,
    following,
    joined,
    messages_until_resumed,
    receive_in_room,
    send_many,
)
from tests.support.servers import (
    ServerProcess,
    manage,
    running_server,
    running_worker,
    server_env,
)
from tests.support.services import postgres_database, unique_prefix


@dataclass(frozen=True)
class Deployment:
    first: ServerProcess
    second: ServerProcess
    tokens: dict[str, str]  # username: API token

    @property
    def servers(self) -> tuple[ServerProcess, ServerProcess]:
        return self.first, self.second

    def signed_in(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.tokens[username]}"}


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, shared_redis_url: str
) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack:
        env = server_env(
            workdir, settings="config.settings.production", redis_url=shared_redis_url,
            prefix=unique_prefix(),
        )  # fmt: skip
        env.update(
            DATABASE_URL=stack.enter_context(postgres_database()),
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="false",
        )
        manage(env, "migrate", "--noinput")
        tokens = {name: secrets.token_hex(20) for name in ("operator", "ada", "bob", "eve")}
        manage(
            env, "shell", "-c",
            "from django.contrib.auth.models import User\n"
            "from rest_framework.authtoken.models import Token\n"
            "from chat import services\n"
            f"for name, key in {tokens!r}.items():\n"
            "    user = User.objects.create_user(name, is_staff=name == 'operator')\n"
            "    Token.objects.create(user=user, key=key)\n"
            "ada = User.objects.get(username='ada')\n"
            "services.create_private_room(owner=ada, name='backroom', member_usernames=['bob'])\n"
            "services.direct_room(user=ada, other_username='bob')",
        )  # fmt: skip
        first = stack.enter_context(running_server(env, workdir, "uvicorn"))
        second = stack.enter_context(running_server(env, workdir, "uvicorn"))
        stack.enter_context(running_worker(env, workdir))
        yield Deployment(first, second, tokens)


@pytest.fixture(scope="module")
def balancer(
    tmp_path_factory: pytest.TempPathFactory, deployment: Deployment
) -> Iterator[Balancer]:
    workdir = tmp_path_factory.mktemp("balancer")
    with running_balancer(workdir, [deployment.first, deployment.second]) as running:
        yield running


async def test_the_balancer_sends_a_rooms_clients_to_one_process_a_resumed_one_too(
    deployment: Deployment, balancer: Balancer
) -> None:
    front = balancer.server
    balancer.wait_until_idle(deployment.servers)
    async with joined(front, "routed") as ada, joined(front, "routed") as bob:
        for ws in (ada, bob):
            await receive_action(ws, "chat_history")
        sent = await send_many(ada, 1)
        heard = await receive_action(bob, "new_chat_message", ignore=QUIET)
        async with joined(front, "routed", last_seq=0) as returning:
            replayed = await messages_until_resumed(returning)
            held = [balancer.connections_to(server) for server in deployment.servers]

    assert heard["payload"]["seq"] == sent[0] == replayed[0]["seq"]
    assert sorted(held) == [0, 3]


async def test_the_balancer_shares_the_rooms_out_among_the_processes(
    deployment: Deployment, balancer: Balancer
) -> None:
    balancer.wait_until_idle(deployment.servers)
    async with AsyncExitStack() as stack:
        for room in range(24):
            ws = await stack.enter_async_context(joined(balancer.server, f"share-{room}"))
            await receive_action(ws, "chat_history")
        held = [balancer.connections_to(server) for server in deployment.servers]

    assert sum(held) == 24
    assert min(held) > 0


async def test_the_balancer_spreads_connections_to_all_rooms_over_the_processes(
    deployment: Deployment, balancer: Balancer
) -> None:
    balancer.wait_until_idle(deployment.servers)
    async with AsyncExitStack() as stack:
        for n in range(8):
            ws = await stack.enter_async_context(following(balancer.server, {f"spread-{n}": None}))
            await receive_in_room(ws, "chat_history")
        held = [balancer.connections_to(server) for server in deployment.servers]

    assert held == [4, 4]


async def test_one_connection_follows_rooms_whose_posts_go_through_the_other_process(
    deployment: Deployment,
) -> None:
    rooms = {"far-a": None, "far-b": None}
    async with following(deployment.first, rooms) as follower:
        for _ in rooms:
            await receive_in_room(follower, "chat_history")
        for room in rooms:
            async with joined(deployment.second, room) as poster:
                await receive_action(poster, "chat_history")
                await send_many(poster, 2)

        heard = [await receive_in_room(follower, "new_chat_message") for _ in range(4)]

    assert [(room, payload["seq"]) for room, payload in heard] == [
        ("far-a", 1),
        ("far-a", 2),
        ("far-b", 1),
        ("far-b", 2),
    ]


async def test_chat_and_presence_reach_the_clients_of_the_other_process(
    deployment: Deployment,
) -> None:
    async with joined(deployment.first, "across") as ada:
        await receive_action(ada, "chat_history")
        await receive_action(ada, "presence_state")
        async with joined(deployment.second, "across") as bob:
            await receive_action(bob, "chat_history")
            present = await receive_action(bob, "presence_state")
            joined_frame = await receive_action(ada, "presence_joined", ignore=frozenset())

            await send_json(
                bob, {"action": "new_chat_message", "payload": {"message": "hi", "name": "Bob"}}
            )
            heard = await receive_action(ada, "new_chat_message")
            accepted = await receive_action(bob, "message_accepted")

    assert len(present["payload"]["participants"]) == 2
    assert joined_frame["payload"]["participant"] in present["payload"]["participants"]
    assert heard["payload"]["message"] == "hi"
    assert heard["payload"]["seq"] == accepted["payload"]["seq"] == 1


async def test_a_client_that_returns_through_the_other_process_resumes_without_gap(
    deployment: Deployment,
) -> None:
    async with joined(deployment.first, "moving") as sender:
        await receive_action(sender, "chat_history")
        sent = await send_many(sender, 5)
        async with joined(deployment.second, "moving", last_seq=sent[1]) as returning:
            replayed = await messages_until_resumed(returning)
            sent += await send_many(sender, 1, start=5)
            live = await receive_action(returning, "new_chat_message", ignore=QUIET)

    assert [m["seq"] for m in replayed] == sent[2:5]
    assert live["payload"]["seq"] == sent[5] == 6


async def test_a_staff_notification_sent_through_one_process_reaches_clients_of_both(
    deployment: Deployment,
) -> None:
    staff = deployment.signed_in("operator")
    async with (
        connect(f"{deployment.first.ws_url}/ws/system/", additional_headers=staff) as operator,
        connect(f"{deployment.second.ws_url}/ws/system/") as listener,
    ):
        for ws in (operator, listener):
            await receive_action(ws, "authentication")
            await receive_action(ws, "job_list")

        await send_json(
            operator,
            {"action": "broadcast_notification", "payload": {"message": "Deploying at noon"}},
        )

        for ws in (operator, listener):
            notification = await receive_action(ws, "system_notification")
            assert notification["payload"]["message"] == "Deploying at noon"


async def test_a_job_started_through_either_process_runs_on_the_shared_worker(
    deployment: Deployment,
) -> None:
    for server in (deployment.first, deployment.second):
        async with connect(f"{server.ws_url}/ws/system/") as ws:
            await receive_action(ws, "authentication")
            await receive_action(ws, "job_list")
            job = {"task_type": "analyze", "content": "to be or not to be"}

            await send_json(ws, {"action": "system_message", "payload": job})

            await receive_action(ws, "job_queued")
            while (frame := await receive_json(ws))["action"] == "job_progress":
                pass
            assert frame["action"] == "job_result"
            assert frame["payload"]["status"] == "succeeded"


async def test_a_message_resent_through_the_other_process_is_stored_once(
    deployment: Deployment,
) -> None:
    frame = {
        "action": "new_chat_message",
        "payload": {"message": "once", "name": "Ada", "client_id": "resent-1"},
    }
    accepted = []
    for server in (deployment.first, deployment.second, deployment.first):
        async with joined(server, "resent") as ws:
            await receive_action(ws, "chat_history")
            await send_json(ws, frame)
            accepted.append((await receive_action(ws, "message_accepted", ignore=QUIET))["payload"])
        async with joined(server, "resent") as ws:
            history = (await receive_action(ws, "chat_history"))["payload"]["messages"]

    assert [a["seq"] for a in accepted] == [1, 1, 1]
    assert [a["duplicate"] for a in accepted] == [False, True, True]
    assert [m["message"] for m in history] == ["once"]


async def test_private_and_direct_rooms_take_their_members_messages_across_processes(
    deployment: Deployment,
) -> None:
    first, second = deployment.first.ws_url, deployment.second.ws_url
    ada, bob, eve = (deployment.signed_in(name) for name in ("ada", "bob", "eve"))
    async with (
        connect(f"{first}/ws/chat/backroom/", additional_headers=ada) as ada_private,
        connect(f"{second}/ws/chat/backroom/", additional_headers=bob) as bob_private,
        connect(f"{second}/ws/chat/lobby/", additional_headers=bob) as bob_elsewhere,
        connect(f"{first}/ws/chat/backroom/", additional_headers=eve) as eve_private,
    ):
        for ws in (ada_private, bob_private, bob_elsewhere):
            await receive_action(ws, "authentication")
            await receive_action(ws, "chat_history")
        refused = await receive_action(eve_private, "authentication")
        await send_json(ada_private, {"action": "new_chat_message", "payload": {"message": "psst"}})
        heard = await receive_action(bob_private, "new_chat_message", ignore=QUIET)
        accepted = await receive_action(ada_private, "message_accepted", ignore=QUIET)

        # ada and bob are users 2 and 3 of a fresh database: their direct room is dm-2-3.
        async with connect(f"{first}/ws/chat/dm-2-3/", additional_headers=ada) as ada_direct:
            await receive_action(ada_direct, "authentication")
            await receive_action(ada_direct, "chat_history")
            await send_json(
                ada_direct, {"action": "new_chat_message", "payload": {"message": "hi"}}
            )
            notice = await receive_action(bob_elsewhere, "direct_message", ignore=QUIET)

    assert refused["payload"]["status_code"] == 403
    assert heard["payload"]["message"] == "psst"
    assert heard["payload"]["seq"] == accepted["payload"]["seq"] == 1
    assert notice["payload"] == {"room": "dm-2-3", "name": "ada", "preview": "hi"}


async def test_reading_through_one_process_moves_the_count_and_receipt_on_the_other(
    deployment: Deployment,
) -> None:
    first, second = deployment.first.ws_url, deployment.second.ws_url
    ada, bob = deployment.signed_in("ada"), deployment.signed_in("bob")
    async with (
        connect(f"{second}/ws/chat/", additional_headers=ada) as ada_everywhere,
        connect(f"{first}/ws/chat/backroom/", additional_headers=bob) as bob_room,
    ):
        await receive_action(ada_everywhere, "authentication")
        await receive_action(ada_everywhere, "room_list")
        await receive_action(bob_room, "authentication")
        await receive_action(bob_room, "chat_history")
        await send_json(bob_room, {"action": "new_chat_message", "payload": {"message": "read me"}})
        seq = (await receive_action(bob_room, "message_accepted", ignore=QUIET))["payload"]["seq"]
        activity = await receive_action(
            ada_everywhere, "room_activity", ignore=QUIET - {"room_activity"}
        )
        async with connect(f"{first}/ws/chat/backroom/", additional_headers=ada) as ada_room:
            await receive_action(ada_room, "authentication")
            await receive_action(ada_room, "chat_history")
            await send_json(ada_room, {"action": "mark_read", "payload": {"seq": seq}})
            state = await receive_action(
                ada_everywhere, "read_state", ignore=QUIET - {"read_state"}
            )
            receipt = await receive_action(
                bob_room, "read_receipt", ignore=QUIET - {"read_receipt"}
            )

    assert activity["payload"] == {
        "room": "backroom",
        "seq": seq,
        "name": "bob",
        "preview": "read me",
    }
    assert state["payload"] == {
        "room": "backroom",
        "last_read_seq": seq,
        "unread": 0,
        "mentions": 0,
    }
    assert receipt["payload"] == {"user": "ada", "last_read_seq": seq}


async def test_a_mention_through_one_process_reaches_the_user_named_on_the_other(
    deployment: Deployment,
) -> None:
    first, second = deployment.first.ws_url, deployment.second.ws_url
    ada, bob, eve = (deployment.signed_in(name) for name in ("ada", "bob", "eve"))
    async with (
        connect(f"{first}/ws/chat/backroom/", additional_headers=ada) as ada_room,
        connect(f"{second}/ws/chat/", additional_headers=bob) as bob_everywhere,
        connect(f"{second}/ws/chat/", additional_headers=eve) as eve_everywhere,
    ):
        await receive_action(ada_room, "authentication")
        await receive_action(ada_room, "chat_history")
        for ws in (bob_everywhere, eve_everywhere):
            await receive_action(ws, "authentication")
            await receive_action(ws, "room_list")
        # eve is no member of the backroom: only bob is mentioned there.
        backroom = {"action": "new_chat_message", "payload": {"message": "@bob @eve look"}}
        await send_json(ada_room, backroom)
        seq = (await receive_action(ada_room, "message_accepted", ignore=QUIET))["payload"]["seq"]
        bob_heard = await receive_action(bob_everywhere, "mentioned", ignore=QUIET)
        async with connect(f"{first}/ws/chat/lobby/", additional_headers=ada) as ada_lobby:
            await receive_action(ada_lobby, "authentication")
            await receive_action(ada_lobby, "chat_history")
            lobby = {"action": "new_chat_message", "payload": {"message": "@eve, lunch?"}}
            await send_json(ada_lobby, lobby)
            eve_heard = await receive_action(eve_everywhere, "mentioned", ignore=QUIET)
        async with connect(f"{second}/ws/chat/", additional_headers=bob) as bob_again:
            await receive_action(bob_again, "authentication")
            listed = (await receive_action(bob_again, "room_list"))["payload"]["rooms"]

    assert bob_heard["payload"] == {"room": "backroom", "seq": seq, "name": "ada",
                                    "preview": "@bob @eve look"}  # fmt: skip
    assert (eve_heard["payload"]["room"], eve_heard["payload"]["preview"]) == (
        "lobby",
        "@eve, lunch?",
    )
    (entry,) = [room for room in listed if room["name"] == "backroom"]
    assert entry["mentions"] >= 1
