"""
Calls that share a key, run together while one is under way.

A call with nothing else under way for its key runs at once, alone, in the
caller's own task: when things are quiet, nothing waits and nothing is
added. Calls that come while it runs wait, and once it is done they run
together, in one call of `run`, in the order they came (at most `limit` at
a time); whatever comes meanwhile waits for the next. So the more a key is
in demand, the more each call does at once, with no timer to tune: for a
database, one round trip and one commit for many rows.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

Run = Callable[[K, Sequence[T]], Awaitable[Sequence[R]]]


@dataclass
class _Waiting(Generic[T, R]):
    item: T
    done: asyncio.Future[R] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Batcher(Generic[K, T, R]):
    """
    `await batcher(key, item)` is `run(key, [item])[0]`, run with the others
    that wait for the same key. `run` returns a result per item, in order; if
    it raises, every call of that batch raises the same. A caller that stops
    waiting (cancelled) leaves its item in its batch: what is sent is done.
    One batcher serves one event loop.
    """

    def __init__(self, run: Run[K, T, R], *, limit: int = 100) -> None:
        self.run, self.limit = run, limit
        self.waiting: dict[K, list[_Waiting[T, R]]] = {}  # a key is here while it runs
        self.draining: set[asyncio.Task[None]] = set()

    async def __call__(self, key: K, item: T) -> R:
        queue = self.waiting.get(key)
        if queue is not None:
            waiting: _Waiting[T, R] = _Waiting(item)
            queue.append(waiting)
            return await waiting.done
        self.waiting[key] = []
        try:
            (result,) = await self.run(key, [item])
            return result
        finally:
            if self.waiting[key]:
                task = asyncio.create_task(self.drain(key))
                self.draining.add(task)
                task.add_done_callback(self.draining.discard)
            else:
                del self.waiting[key]

    async def drain(self, key: K) -> None:
        """Run what waits for `key`, a batch at a time, until nothing does."""
        queue = self.waiting[key]
        batch: list[_Waiting[T, R]] = []
        try:
            while queue:
                batch, queue[:] = queue[: self.limit], queue[self.limit :]
                try:
                    results = await self.run(key, [waiting.item for waiting in batch])
                except Exception as error:
                    for waiting in batch:
                        if not waiting.done.done():
                            waiting.done.set_exception(error)
                else:
                    for waiting, result in zip(batch, results, strict=True):
                        if not waiting.done.done():
                            waiting.done.set_result(result)
        finally:
            for waiting in (*batch, *queue):  # left only if this task was cancelled
                if not waiting.done.done():
                    waiting.done.cancel()
            del self.waiting[key]
