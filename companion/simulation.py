"""Running the companion against simulated sensors on a virtual radio.

Used by ``--simulate``, ``posture demo``, the tests and the benchmarks, so all of
them exercise the same path: bleak's public API over the virtual link.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from firmware_protocol.sim import ReferenceSensor, VirtualRadio
from firmware_protocol.sim.microbit import MicrobitSensor
from firmware_protocol.sim.peripheral import SimulatedPeripheral
from firmware_protocol.sim.upright import UprightGoSensor
from firmware_protocol.sim.witmotion import WitMotionSensor
from firmware_protocol.sim.wearer import SimulatedWearer, workday

from .ble.transport import BleTransport
from .link import LinkEvent, ReadingsReceived, SensorLink, scan
from .readings import ImuReading


@contextlib.asynccontextmanager
async def simulated_radio(
    *factories: Callable[[VirtualRadio], SimulatedPeripheral],
) -> AsyncIterator[tuple[VirtualRadio, list[SimulatedPeripheral]]]:
    """A virtual radio with sensors made by ``factories`` (a class or any callable
    taking the radio) switched on; one reference sensor by default."""
    radio = VirtualRadio()
    started: list[SimulatedPeripheral] = []
    for factory in factories or (ReferenceSensor,):
        sensor = factory(radio)
        await sensor.start()
        started.append(sensor)
    try:
        yield radio, started
    finally:
        for sensor in started:
            with contextlib.suppress(Exception):
                await sensor.stop()


#: One simulated sensor of every supported kind (``posture scan --simulate``).
ALL_KINDS = (ReferenceSensor, WitMotionSensor, UprightGoSensor, MicrobitSensor)


def demo_wearer(seed: int = 0) -> SimulatedWearer:
    """A wearer for demos and recordings: a scripted working hour, looping."""
    script = workday(seed, hours=1.0)
    return SimulatedWearer(script, seed=seed, loop=True)


@contextlib.asynccontextmanager
async def open_transport(simulate: bool, *, wearer: bool = False) -> AsyncIterator[BleTransport]:
    """The platform's Bluetooth, or a virtual radio with one simulated sensor of every
    kind (worn by a scripted person when ``wearer`` is set, else by someone sitting
    still)."""
    if not simulate:
        yield BleTransport.system()
        return
    if wearer:
        factories: tuple = tuple(
            lambda radio, kind=kind: kind(radio, motion=demo_wearer()) for kind in ALL_KINDS
        )
    else:
        factories = ALL_KINDS
    async with simulated_radio(*factories) as (radio, _sensors):
        yield BleTransport.virtual(radio)


@dataclass
class LinkSession:
    """A link running in the background, with everything it emitted collected."""

    link: SensorLink
    task: asyncio.Task[None]
    events: list[LinkEvent] = field(default_factory=list)
    readings: list[ImuReading] = field(default_factory=list)

    async def pump(self, seconds: float) -> None:
        """Collect the link's events for ``seconds`` of loop time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(self.link.events.get(), remaining)
            except asyncio.TimeoutError:
                break
            self._keep(event)

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
            self.readings.extend(event.readings)
        else:
            self.events.append(event)


@contextlib.asynccontextmanager
async def link_session(radio: VirtualRadio, **link_options) -> AsyncIterator[LinkSession]:
    """Scan the radio, connect to the first sensor found and keep streaming."""
    transport = BleTransport.virtual(radio)
    found = await scan(transport, timeout_s=0.5)
    if not found:
        raise LookupError("no simulated sensor is advertising")
    link = SensorLink(found[0], transport, **link_options)
    session = LinkSession(link, asyncio.create_task(link.run()))
    try:
        yield session
    finally:
        await session.close()
