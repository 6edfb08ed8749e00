import asyncio
from collections.abc import Sequence

import pytest

from core.batches import Batcher


class Store:
    """A `run` that records its batches and holds each until it is let go."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.go = asyncio.Event()
        self.fail_on: int | None = None

    async def run(self, key: str, items: Sequence[int]) -> list[str]:
        self.batches.append((key, list(items)))
        await self.go.wait()
        if self.fail_on in items:
            raise ValueError(f"refused {self.fail_on}")
        return [f"{key}{item}" for item in items]


async def started(*calls: asyncio.Task[str]) -> None:
    """Let the calls run up to their first wait."""
    for _ in calls:
        await asyncio.sleep(0)


async def test_a_call_alone_runs_at_once_by_itself() -> None:
    store = Store()
    store.go.set()

    assert await Batcher(store.run)("a", 1) == "a1"
    assert store.batches == [("a", [1])]


async def test_calls_that_come_while_one_runs_run_together_in_the_order_they_came() -> None:
    store = Store()
    batcher = Batcher(store.run)
    first = asyncio.create_task(batcher("a", 1))
    await started(first)
    waiting = [asyncio.create_task(batcher("a", item)) for item in (2, 3, 4)]
    await started(*waiting)

    store.go.set()

    assert await asyncio.gather(first, *waiting) == ["a1", "a2", "a3", "a4"]
    assert store.batches == [("a", [1]), ("a", [2, 3, 4])]


async def test_keys_do_not_wait_for_one_another() -> None:
    store = Store()
    batcher = Batcher(store.run)
    calls = [asyncio.create_task(batcher(key, 1)) for key in ("a", "b")]
    await started(*calls)

    assert store.batches == [("a", [1]), ("b", [1])]
    store.go.set()
    assert await asyncio.gather(*calls) == ["a1", "b1"]


async def test_a_batch_holds_at_most_its_limit_and_the_rest_follow() -> None:
    store = Store()
    batcher = Batcher(store.run, limit=2)
    calls = [asyncio.create_task(batcher("a", item)) for item in range(5)]
    await started(*calls)

    store.go.set()

    assert await asyncio.gather(*calls) == [f"a{item}" for item in range(5)]
    assert store.batches == [("a", [0]), ("a", [1, 2]), ("a", [3, 4])]


async def test_a_failed_batch_fails_each_of_its_calls_and_the_next_batch_still_runs() -> None:
    store = Store()
    store.fail_on = 2
    batcher = Batcher(store.run, limit=2)
    calls = [asyncio.create_task(batcher("a", item)) for item in range(5)]
    await started(*calls)

    store.go.set()
    results = await asyncio.gather(*calls, return_exceptions=True)

    assert [str(result) for result in results] == ["a0", "refused 2", "refused 2", "a3", "a4"]
    assert not batcher.waiting


async def test_a_caller_that_stops_waiting_leaves_the_others_their_results() -> None:
    store = Store()
    batcher = Batcher(store.run)
    first = asyncio.create_task(batcher("a", 1))
    await started(first)
    gone, stays = (asyncio.create_task(batcher("a", item)) for item in (2, 3))
    await started(gone, stays)

    gone.cancel()
    store.go.set()

    assert await stays == "a3"
    assert await first == "a1"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert store.batches[-1] == ("a", [2, 3])
    assert not batcher.waiting
