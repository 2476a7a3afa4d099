"""The virtual clock jumps only while the loop has nothing to wait for but timers."""

from __future__ import annotations

import asyncio
import time

from companion.sim.clock import run_virtual


def test_the_clock_does_not_run_ahead_of_a_thread_working_for_the_loop():
    """A file opened in a thread (``asyncio.to_thread``) while a simulated sensor keeps
    its timers going: the clock may not race through simulated minutes meanwhile."""

    async def main() -> float:
        loop = asyncio.get_running_loop()

        async def sensor() -> None:
            while True:  # noqa: ASYNC110 - a timer that keeps firing, as a sensor's stream does
                await asyncio.sleep(1.0)

        ticking = asyncio.create_task(sensor())
        start = loop.time()
        await asyncio.to_thread(time.sleep, 0.3)  # 0.3 s of real work
        ticking.cancel()
        return loop.time() - start

    assert run_virtual(main()) < 2.0


def test_timers_alone_still_jump():
    async def main() -> float:
        loop = asyncio.get_running_loop()
        start_real = time.monotonic()
        await asyncio.sleep(3600)
        assert time.monotonic() - start_real < 1.0
        return loop.time()

    assert run_virtual(main()) >= 3600
