"""Simulated worlds: a virtual radio with sensors on it, and the people wearing them.

Loaded by ``--simulate``, ``posture demo``, the tests and the benchmarks, so all of
them exercise the same path: bleak's public API over the virtual link.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from .microbit import MicrobitSensor
from .peripheral import SimulatedPeripheral
from .radio import VirtualRadio
from .reference import ReferenceSensor
from .upright import UprightGoSensor
from .wearer import InteractiveWearer, SimulatedWearer, workday
from .witmotion import WitMotionSensor


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


def demo_wearer_calibration(seed: int = 0) -> dict[str, list[float]]:
    """The body frame a guided calibration of :func:`demo_wearer` finds (its sensor's
    true mounting): a simulated recording carries it, as a recording made after
    calibrating carries the wearer's."""
    return demo_wearer(seed).exact_frame()


class TrackedWearer(InteractiveWearer):
    """The simulated person of ``posture track --simulate``: works through a scripted
    day, follows the guided calibration when ``posture calibrate`` asks (sits up,
    leans forward, sits up), then starts the day again."""

    def __init__(self, seed: int = 0, hours: float = 8.0) -> None:
        super().__init__(seed=seed)
        self._day = list(workday(seed, hours=hours).segments)
        self.perform(*self._day)

    def calibration_over(self) -> None:
        """Done or abandoned, the day goes on (sitting up first)."""
        self.perform(*InteractiveWearer.SIT_UP, *self._day)


@contextlib.asynccontextmanager
async def all_kinds_radio(*, wearer: bool = False) -> AsyncIterator[VirtualRadio]:
    """A virtual radio with one simulated sensor of every kind, worn by a scripted
    person when ``wearer`` is set, else by someone sitting still."""
    if wearer:
        factories: tuple = tuple(lambda radio, kind=kind: kind(radio, motion=demo_wearer()) for kind in ALL_KINDS)
    else:
        factories = ALL_KINDS
    async with simulated_radio(*factories) as (radio, _sensors):
        yield radio


@dataclass
class DemoWorld:
    """The simulated sensor and the person wearing it, for ``posture demo``."""

    radio: VirtualRadio
    sensor: ReferenceSensor
    wearer: InteractiveWearer

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sensor.stop()


async def start_demo_world(seed: int = 0) -> DemoWorld:
    radio = VirtualRadio()
    wearer = InteractiveWearer(seed=seed)
    sensor = ReferenceSensor(radio, name="Posture1", motion=wearer)
    await sensor.start()
    return DemoWorld(radio, sensor, wearer)
