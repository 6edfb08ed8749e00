"""Presence: the registry on both backends, and what clients of the consumer see."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from chat.consumers import ChatConsumer
from chat.participants import Participant
from chat.presence import (
    Beat,
    MemoryPresenceStore,
    PresenceStore,
    RedisPresenceStore,
    heartbeats,
    memory_store,
)
from tests.support.chat import chat_frame, next_action, next_frame
from tests.support.credentials import session_headers
from tests.support.services import require_redis, unique_prefix
from tests.support.sockets import DjangoWebsocketCommunicator, WebsocketTestCase

ALICE = Participant(key="user:1", name="alice", guest=False, user_id=1)
BOB = Participant(key="guest:b0b", name="Bob", guest=True)
NOW = 1_000_000.0
TTL = 30.0


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[PresenceStore]:
    if request.param == "memory":
        yield MemoryPresenceStore()
        return
    redis_store = RedisPresenceStore(require_redis(), unique_prefix(), key_lifetime=60)
    yield redis_store
    await redis_store.client.aclose()


async def test_a_first_connection_brings_a_participant_online(store: PresenceStore) -> None:
    assert await store.enter("r", "conn-1", ALICE, NOW + TTL) is True
    assert await store.participants("r") == [ALICE]


async def test_a_second_tab_of_the_same_participant_counts_once(store: PresenceStore) -> None:
    await store.enter("r", "conn-1", ALICE, NOW + TTL)

    assert await store.enter("r", "conn-2", ALICE, NOW + TTL) is False
    assert await store.participants("r") == [ALICE]


async def test_a_refresh_is_not_a_new_arrival(store: PresenceStore) -> None:
    await store.enter("r", "conn-1", ALICE, NOW + TTL)

    assert await store.enter("r", "conn-1", ALICE, NOW + 2 * TTL) is False


async def test_a_participant_leaves_with_their_last_connection(store: PresenceStore) -> None:
    await store.enter("r", "conn-1", ALICE, NOW + TTL)
    await store.enter("r", "conn-2", ALICE, NOW + TTL)

    assert await store.leave("r", "conn-1") is None
    assert await store.leave("r", "conn-2") == ALICE
    assert await store.participants("r") == []


async def test_expired_connections_are_swept_and_reported_once(store: PresenceStore) -> None:
    await store.enter("r", "dead", BOB, NOW + TTL)
    await store.enter("r", "alive", ALICE, NOW + 3 * TTL)

    assert await store.sweep("r", NOW + 2 * TTL) == [BOB]
    assert await store.sweep("r", NOW + 2 * TTL) == []
    assert await store.leave("r", "dead") is None
    assert await store.participants("r") == [ALICE]


async def test_a_heartbeat_refreshes_its_connections_and_sweeps_their_room_at_once(
    store: PresenceStore,
) -> None:
    await store.enter("r", "alice-tab", ALICE, NOW + TTL)
    await store.enter("r", "bob-tab", BOB, NOW + 1)  # Bob's process died

    results = await store.beat([Beat("r", {"alice-tab": ALICE})], NOW + 2 + TTL, NOW + 2)

    assert results == [([], [BOB])]  # Alice's tab refreshed, not arrived; Bob gone
    assert await store.sweep("r", NOW + 1 + TTL) == []
    assert await store.participants("r") == [ALICE]


async def test_a_heartbeat_registers_again_what_the_registry_lost_and_says_who_came_back(
    store: PresenceStore,
) -> None:
    beats = [Beat("r1", {"alice-tab": ALICE}), Beat("r2", {"bob-tab": BOB, "bob-phone": BOB})]

    results = await store.beat(beats, NOW + TTL, NOW)

    assert results == [(["alice-tab"], []), (["bob-tab"], [])]  # Bob once, for two connections
    assert await store.participants("r1") == [ALICE]
    assert await store.participants("r2") == [BOB]
    assert await store.leave("r2", "bob-tab") is None
    assert await store.leave("r2", "bob-phone") == BOB


async def test_rooms_do_not_share_presence(store: PresenceStore) -> None:
    await store.enter("r1", "conn-1", ALICE, NOW + TTL)

    assert await store.participants("r2") == []


class TestPresenceAsClientsSeeIt(WebsocketTestCase):
    consumer = ChatConsumer
    ws_path = "/ws/chat/lobby/"

    def setUp(self) -> None:
        super().setUp()
        self.alice = User.objects.create_user("alice", password="pw-alice-123")
        self.alice_browser = session_headers(self.alice)

    async def joined(
        self, *, headers: Any = None, name: str = ""
    ) -> tuple[DjangoWebsocketCommunicator, list[Any]]:
        path = "/ws/chat/lobby/" + (f"?name={name}" if name else "")
        communicator = self.create_communicator(ws_path=path, headers=headers)
        assert (await communicator.connect())[0]
        await communicator.assert_authenticated_status_ok()
        await next_action(communicator, "chat_history")
        state = await next_action(communicator, "presence_state")
        return communicator, state["payload"]["participants"]

    async def test_a_joining_client_sees_everyone_and_everyone_sees_it_arrive(self) -> None:
        alice, _ = await self.joined(headers=self.alice_browser)

        _, everyone = await self.joined(name="Bob")

        arrival = await next_action(alice, "presence_joined", ignore=frozenset({"complete"}))
        assert arrival["payload"]["participant"]["name"] == "Bob"
        assert arrival["payload"]["participant"]["guest"] is True
        assert sorted(p["name"] for p in everyone) == ["Bob", "alice"]

    async def test_a_client_leaving_is_announced_to_the_others(self) -> None:
        alice, _ = await self.joined(headers=self.alice_browser)
        bob, _ = await self.joined(name="Bob")
        await next_action(alice, "presence_joined", ignore=frozenset({"complete"}))

        await bob.disconnect()

        departure = await next_action(alice, "presence_left", ignore=frozenset({"complete"}))
        assert departure["payload"]["participant"]["name"] == "Bob"

    async def test_two_tabs_of_one_user_count_once_until_the_last_closes(self) -> None:
        watcher, _ = await self.joined(name="Watcher")
        first_tab, _ = await self.joined(headers=self.alice_browser)
        await next_action(watcher, "presence_joined", ignore=frozenset({"complete"}))

        second_tab, everyone = await self.joined(headers=self.alice_browser)
        await first_tab.disconnect()
        await second_tab.disconnect()

        assert [p["name"] for p in everyone].count("alice") == 1
        # The second tab's arrival and the first tab's departure were not announced:
        departure = await next_action(watcher, "presence_left", ignore=frozenset({"complete"}))
        assert departure["payload"]["participant"]["name"] == "alice"

    @override_settings(CHAT_TYPING_INTERVAL=3600)
    async def test_typing_reaches_the_others_once_per_interval_and_never_the_typist(self) -> None:
        alice, _ = await self.joined(headers=self.alice_browser)
        bob, _ = await self.joined(name="Bob")
        await next_action(alice, "presence_joined", ignore=frozenset({"complete"}))

        quiet = frozenset({"complete"})
        await alice.send_json_to({"action": "typing"})
        typing = await next_frame(bob, ignore=quiet)
        await alice.send_json_to({"action": "typing"})
        await alice.send_json_to(chat_frame("done typing"))

        assert typing == {
            "action": "user_typing",
            "payload": {
                "participant": {"key": f"user:{self.alice.pk}", "name": "alice", "guest": False}
            },
        }
        assert (await next_frame(bob, ignore=quiet))["action"] == "new_chat_message"
        assert (await next_frame(alice))["action"] == "message_accepted"

    async def test_a_heartbeat_announces_who_the_registry_lost_and_who_came_back(self) -> None:
        alice, _ = await self.joined(headers=self.alice_browser)
        bob, _ = await self.joined(name="Bob")
        await next_action(alice, "presence_joined", ignore=frozenset({"complete"}))

        memory_store.clear()  # as a Redis that restarted empty
        await heartbeats().beat()

        back = await next_action(alice, "presence_joined", ignore=frozenset({"complete"}))
        assert back["payload"]["participant"]["name"] == "Bob"
        back = await next_action(bob, "presence_joined", ignore=frozenset({"complete"}))
        assert back["payload"]["participant"]["name"] == "alice"

    async def test_a_heartbeat_announces_the_participants_of_a_dead_process_gone(self) -> None:
        alice, _ = await self.joined(headers=self.alice_browser)
        await memory_store.enter("lobby", "a-dead-process-connection", BOB, expires_at=0)

        await heartbeats().beat()

        departure = await next_action(alice, "presence_left", ignore=frozenset({"complete"}))
        assert departure["payload"]["participant"] == BOB.as_payload()
