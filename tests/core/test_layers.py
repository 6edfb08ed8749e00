"""
Channel layer selection from the environment; the pub/sub layer's receiving,
its report of a lost Redis and its recovery, and its event takers.
"""

import asyncio
import contextlib
from typing import Any

import pytest

from core import layers
from tests.support.servers import free_port
from tests.support.services import redis_server, require_redis, unique_prefix


def test_redis_url_selects_channels_redis_with_idle_safe_socket_settings() -> None:
    config, summary = layers.channel_layer_config("redis://cache:6379/2", prefix="relay")

    layer = config["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    host = layer["CONFIG"]["hosts"][0]
    assert host["address"] == "redis://cache:6379/2"
    assert host["socket_timeout"] is None
    assert host["max_connections"] == layers.REDIS_MAX_CONNECTIONS
    assert layer["CONFIG"]["prefix"] == "relay"
    assert layer["CONFIG"]["capacity"] == layers.LIST_CAPACITY
    assert summary == "channel layer: Redis at redis://cache:6379/2 (from REDIS_URL)"


def test_the_pubsub_kind_selects_channels_redis_pubsub_layer_with_the_same_settings() -> None:
    config, _ = layers.channel_layer_config("redis://cache:6379/2", prefix="relay", kind="pubsub")

    layer = config["default"]
    assert layer["BACKEND"] == layers.REDIS_LAYERS["pubsub"]
    host = layer["CONFIG"]["hosts"][0]
    assert (host["socket_timeout"], host["max_connections"]) == (None, layers.REDIS_MAX_CONNECTIONS)
    assert "capacity" not in layer["CONFIG"]  # it has none to overflow


def test_a_redis_answering_at_the_default_address_is_used_without_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layers, "DEFAULT_REDIS_URL", require_redis())

    config, summary = layers.channel_layer_config(None, prefix="relay")

    assert config["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert summary.startswith("channel layer: Redis at")


def test_without_redis_the_in_memory_layer_is_used_and_the_summary_says_what_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layers, "DEFAULT_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")

    config, summary = layers.channel_layer_config(None, prefix="relay")

    assert config == {"default": layers.IN_MEMORY_LAYER}
    assert "IN-MEMORY" in summary
    assert "other server processes" in summary


def test_passwords_never_reach_the_log_line() -> None:
    _, summary = layers.channel_layer_config("redis://:s3cret@cache:6379/0", prefix="relay")

    assert "s3cret" not in summary
    assert "redis://:***@cache:6379/0" in summary


async def test_the_pubsub_layer_tells_its_channels_when_redis_is_lost() -> None:
    port = free_port()
    with redis_server(port) as redis:
        layer = layers.PubSubChannelLayer(hosts=[{"address": f"redis://127.0.0.1:{port}/0"}])
        channel = await layer.new_channel()
        await layer.group_add("room", channel)
        await layer.group_send("room", {"type": "chat.message", "text": "before"})
        assert await asyncio.wait_for(layer.receive(channel), 5) == {
            "type": "chat.message",
            "text": "before",
        }

        redis.kill()

        assert await asyncio.wait_for(layer.receive(channel), 5) == layers.LAYER_LOST
    await layer.flush()


async def test_the_pubsub_layer_receives_again_once_redis_is_back() -> None:
    port = free_port()
    layer = layers.PubSubChannelLayer(hosts=[{"address": f"redis://127.0.0.1:{port}/0"}])
    with redis_server(port) as redis:
        channel = await layer.new_channel()
        await layer.group_add("room", channel)
        redis.kill()
        assert await asyncio.wait_for(layer.receive(channel), 5) == layers.LAYER_LOST

    with redis_server(port):
        received = None
        for attempt in range(150):  # until it has reconnected and subscribed again (30 s)
            await layer.group_send("room", {"type": "chat.message", "seq": attempt})
            with contextlib.suppress(TimeoutError):
                received = await asyncio.wait_for(layer.receive(channel), 0.2)
                break

        assert received is not None, "nothing arrived once Redis was back"
        assert received["type"] == "chat.message"
        await layer.flush()


async def test_a_quiet_layer_waits_for_the_next_event_in_one_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = 0
    read = layers.ReportingPubSub.get_message

    async def counted(pubsub: layers.ReportingPubSub, *args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await read(pubsub, *args, **kwargs)

    monkeypatch.setattr(layers.ReportingPubSub, "get_message", counted)
    layer = layers.PubSubChannelLayer(hosts=[{"address": require_redis()}], prefix=unique_prefix())
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    await layer.group_send("room", {"type": "chat.message", "seq": 1})
    await asyncio.wait_for(layer.receive(channel), 5)
    before = reads

    await asyncio.sleep(0.5)  # the quiet time under test: a poll every 0.1 s would read 5 times

    assert reads - before <= 1
    await layer.group_send("room", {"type": "chat.message", "seq": 2})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "chat.message", "seq": 2}
    await layer.flush()


async def test_each_member_of_a_group_receives_an_event_of_its_own() -> None:
    layer = layers.PubSubChannelLayer(hosts=[{"address": require_redis()}], prefix=unique_prefix())
    members = [await layer.new_channel() for _ in range(3)]
    for channel in members:
        await layer.group_add("room", channel)

    await layer.group_send("room", {"type": "chat.message", "seq": 1})
    await layer.group_send("room", {"type": "chat.message", "seq": 2})
    received = [
        [await asyncio.wait_for(layers.receiver(layer, channel)(), 5) for _ in range(2)]
        for channel in members
    ]

    assert (
        received == [[{"type": "chat.message", "seq": 1}, {"type": "chat.message", "seq": 2}]] * 3
    )
    firsts = [events[0] for events in received]
    assert len({id(event) for event in firsts}) == 3  # a handler may change its copy
    await layer.flush()


async def test_a_taker_handles_group_events_as_they_arrive_and_none_is_queued() -> None:
    layer = layers.PubSubChannelLayer(hosts=[{"address": require_redis()}], prefix=unique_prefix())
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    taken: list[dict[str, object]] = []
    both_taken = asyncio.Event()

    def take(event: dict[str, object]) -> bool:
        taken.append(event)
        if len(taken) == 2:
            both_taken.set()
        return True

    layer.take_immediately(channel, take)
    await layer.group_send("room", {"type": "chat.message", "seq": 1})
    await layer.group_send("room", {"type": "chat.message", "seq": 2})
    await asyncio.wait_for(both_taken.wait(), 5)
    layer.stop_taking(channel)
    await layer.group_send("room", {"type": "chat.message", "seq": 3})

    assert [event["seq"] for event in taken] == [1, 2]
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "chat.message", "seq": 3}
    await layer.flush()


async def test_once_a_taker_declines_an_event_the_next_ones_queue_behind_it() -> None:
    layer = layers.PubSubChannelLayer(hosts=[{"address": require_redis()}], prefix=unique_prefix())
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    offered: list[object] = []

    def decline(event: dict[str, object]) -> bool:
        offered.append(event["seq"])
        return False

    layer.take_immediately(channel, decline)
    await layer.group_send("room", {"type": "chat.message", "seq": 1})
    await layer.group_send("room", {"type": "chat.message", "seq": 2})
    received = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]

    assert [event["seq"] for event in received] == [1, 2]
    assert offered == [1]  # the second found the first still queued: order is kept
    await layer.flush()


async def test_an_event_whose_taker_fails_is_queued_and_the_failure_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer = layers.PubSubChannelLayer(hosts=[{"address": require_redis()}], prefix=unique_prefix())
    channel = await layer.new_channel()
    await layer.group_add("room", channel)

    def fail(event: dict[str, object]) -> bool:
        raise RuntimeError("taker bug")

    layer.take_immediately(channel, fail)
    await layer.group_send("room", {"type": "chat.message", "seq": 1})

    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "chat.message", "seq": 1}
    assert "taker bug" in caplog.text
    await layer.flush()
