"""bench.layer_loss: which channel layers drop deliveries when their consumers fall behind."""

from bench.layer_loss import measure
from tests.support.services import require_redis


async def test_under_a_burst_the_pubsub_layer_delivers_all_and_the_list_layer_drops_some() -> None:
    outcomes = await measure(
        members=10, events=400, work=100e-6, concurrency=200, redis_url=require_redis()
    )

    assert outcomes["Redis pub/sub"].lost == 0
    # Why the project's default is pub/sub: channels-redis's list-based layer at
    # its default capacity, and the in-memory layer, drop what overflows.
    assert outcomes["Redis lists (capacity 100)"].lost > 0
    assert outcomes["in-memory (capacity 100)"].lost > 0
