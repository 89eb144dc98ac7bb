"""A fair queue in front of the chat model: first come, first served, ``slots`` callers at a time.

The local model generates for one caller at a time; an OpenAI-compatible server can take
``RAG_MODEL_CONCURRENCY`` at once. Answers and summaries from the UI, the API and the
OpenAI-compatible endpoint all wait in the one queue of their process (``shared_queue``), so
a reader sees an honest position ("2 ahead of you") and nobody is overtaken. Searching,
uploading and reading never enter it.

    ticket = queue.enter()
    for position in queue.wait(ticket):   # 1 = next; yields only when the position changes
        show(position)
    ...                                   # the model is ours
    queue.leave(ticket)                   # also when the caller gave up while waiting

Shortcut: one queue per process; several workers in front of one model server each keep
their own, and the server queues what they send it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache


class ModelQueue:
    def __init__(self, slots: int = 1):
        self.slots = max(1, int(slots))
        self._cond = threading.Condition()
        self._waiting: list[int] = []
        self._running: set[int] = set()
        self._numbers = itertools.count(1)

    def enter(self) -> int:
        with self._cond:
            ticket = next(self._numbers)
            self._waiting.append(ticket)
            self._cond.notify_all()
            return ticket

    def _free(self, ticket: int) -> bool:
        return self._waiting.index(ticket) < self.slots - len(self._running)

    def wait(self, ticket: int, poll: float = 1.0) -> Iterator[int]:
        """Block until ``ticket`` may use the model, yielding its position whenever it changes."""
        last = None
        while True:
            with self._cond:
                if self._free(ticket):
                    self._waiting.remove(ticket)
                    self._running.add(ticket)
                    return
                ahead = self._waiting.index(ticket) - (self.slots - len(self._running)) + 1
            if ahead != last:
                last = ahead
                yield ahead
            with self._cond:
                if not self._free(ticket):
                    self._cond.wait(poll)

    def leave(self, ticket: int) -> None:
        with self._cond:
            self._running.discard(ticket)
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._cond.notify_all()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait (without reporting the position) for the model, and give it back at the end."""
        ticket = self.enter()
        try:
            for _ in self.wait(ticket):
                pass
            yield
        finally:
            self.leave(ticket)


@lru_cache(maxsize=8)
def shared_queue(slots: int = 1) -> ModelQueue:
    """The process's queue for a model that serves ``slots`` callers at once."""
    return ModelQueue(slots)
