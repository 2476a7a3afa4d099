"""An asyncio event loop on virtual time: when nothing is ready to run, the clock
jumps to the next timer instead of waiting for it.

Simulated sensors, the radio and the companion all run on the loop's clock, so
an hour of streaming costs only the CPU it needs. Real I/O still works: the loop
polls selectors without blocking, and blocks for real only when no timer is due.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, Unpack

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

T = TypeVar("T")
_Ts = TypeVarTuple("_Ts")


class _JumpingSelector(selectors.BaseSelector):
    """The system selector, except that a wait for a timer jumps the loop's clock."""

    #: Loop turns with callbacks ready that may skip polling the system selector
    #: while the loop's own wake-up pipe is all that is registered.
    MAX_UNPOLLED_TURNS = 16

    def __init__(self, selector: selectors.BaseSelector, loop: VirtualClockLoop) -> None:
        self._selector = selector
        self._loop = loop
        self._registered = 0
        self._unpolled = 0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout == 0 and self._registered <= 1 and self._unpolled < self.MAX_UNPOLLED_TURNS:
            # Callbacks are ready and no socket or pipe but the loop's self-pipe is
            # watched: a byte there only wakes a blocked wait (the callback of
            # ``call_soon_threadsafe`` is already queued) or names a signal, which
            # can wait a few turns. No time passes on those turns either way; the
            # system call per turn is most of what a turn costs on a busy virtual link.
            self._unpolled += 1
            return []
        self._unpolled = 0
        events = self._selector.select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            return self._selector.select(None)
        if self._loop.in_executor:
            # A thread is working for the loop (``asyncio.to_thread``): the clock may not
            # run ahead of it, or simulated minutes pass while a file opens. Wait for
            # real (its result wakes the loop) and let virtual time follow real time.
            events = self._selector.select(timeout)
            if not events:
                self._loop.advance(timeout)
            return events
        self._loop.advance(timeout)
        return []

    def register(self, fileobj: FileDescriptorLike, events: int, data: Any = None) -> selectors.SelectorKey:
        key = self._selector.register(fileobj, events, data)
        self._registered = len(self._selector.get_map())
        return key

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        key = self._selector.unregister(fileobj)
        self._registered = len(self._selector.get_map())
        return key

    def modify(self, fileobj: FileDescriptorLike, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._selector.modify(fileobj, events, data)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._selector.get_map()

    def close(self) -> None:
        self._selector.close()


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual, starting at zero."""

    def __init__(self) -> None:
        super().__init__(_JumpingSelector(selectors.DefaultSelector(), self))
        self._now_s = 0.0
        self.in_executor = 0  # calls running in the executor for this loop

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[Unpack[_Ts]], T], *args: *_Ts
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.in_executor += 1
        future.add_done_callback(self._executor_done)
        return future

    def _executor_done(self, _future: asyncio.Future[Any]) -> None:
        self.in_executor -= 1

    def time(self) -> float:
        return self._now_s

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self._now_s += float(seconds)


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a fresh virtual-clock loop."""
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(main)
