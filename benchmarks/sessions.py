"""A link running against a simulated radio, with everything it emitted collected:
the harness the link tests and the link and tracker benchmarks share."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from companion.ble.transport import BleTransport
from companion.link import LinkEvent, ReadingsReceived, SensorLink, scan
from companion.readings import ImuReading
from companion.sim.radio import VirtualRadio


@dataclass
class LinkSession:
    """A link running in the background, with everything it emitted collected."""

    link: SensorLink
    task: asyncio.Task[None]
    events: list[LinkEvent] = field(default_factory=list)
    readings: list[ImuReading] = field(default_factory=list)
    #: Whether to keep every reading in ``readings``; a benchmark that streams for
    #: hours only counts them, as a consumer that processes and drops them would.
    keep_readings: bool = True
    #: Readings received, kept or not.
    reading_count: int = 0

    async def pump(self, seconds: float) -> None:
        """Collect the link's events for ``seconds`` of loop time."""
        # One deadline for the whole span, and the queue awaited in this task: a
        # ``wait_for`` per event would cost a task, a timer and three loop turns
        # for every notification.
        deadline = asyncio.get_running_loop().time() + seconds
        events = self.link.events
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                while True:
                    self._keep(await events.get())

    async def until(self, predicate, timeout_s: float = 60.0) -> LinkEvent:
        """Collect events until one satisfies ``predicate``; return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            event = await asyncio.wait_for(self.link.events.get(), max(0.0, deadline - loop.time()))
            self._keep(event)
            if predicate(event):
                return event

    async def close(self) -> None:
        self.link.stop()
        await self.task
        while not self.link.events.empty():
            self._keep(self.link.events.get_nowait())

    def _keep(self, event: LinkEvent) -> None:
        if isinstance(event, ReadingsReceived):
            self.reading_count += len(event.readings)
            if self.keep_readings:
                self.readings.extend(event.readings)
        else:
            self.events.append(event)


@contextlib.asynccontextmanager
async def link_session(
    radio: VirtualRadio, *, keep_readings: bool = True, **link_options
) -> AsyncIterator[LinkSession]:
    """Scan the radio, connect to the first sensor found and keep streaming."""
    transport = BleTransport.virtual(radio)
    found = await scan(transport, timeout_s=0.5)
    if not found:
        raise LookupError("no simulated sensor is advertising")
    link = SensorLink(found[0], transport, **link_options)
    session = LinkSession(link, asyncio.create_task(link.run()), keep_readings=keep_readings)
    try:
        yield session
    finally:
        await session.close()
