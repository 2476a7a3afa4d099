"""The simulated world of ``posture demo``: a reference sensor on a virtual radio,
worn by an interactive simulated person."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from firmware_protocol.sim import ReferenceSensor, VirtualRadio
from firmware_protocol.sim.wearer import InteractiveWearer


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
