"""A simulated BBC micro:bit (V2) running the Bluetooth accelerometer service.

- Accelerometer only, 3 int16 LE in milli-g; no gyroscope, no battery service.
- The period characteristic snaps a written value to the nearest supported one and
  reads back the actual value.
- Notification timing is irregular and bursty.
"""

from __future__ import annotations

import asyncio
import random
import struct

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..drivers.microbit import ACCEL_DATA, ACCEL_PERIOD, ACCEL_SERVICE
from .motion import MotionSource, StillWearer
from .peripheral import SimulatedPeripheral, advertising_data, readable, writable
from .radio import VirtualRadio

SUPPORTED_PERIODS_MS = (1, 2, 5, 10, 20, 80, 160, 640)


class MicrobitSensor(SimulatedPeripheral):
    kind = "microbit"
    rssi_dbm = -76

    def __init__(
        self,
        radio: VirtualRadio,
        *,
        name: str = "BBC micro:bit [zavet]",
        motion: MotionSource | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(radio, name)
        self.motion = motion if motion is not None else StillWearer(seed=seed)
        self.period_ms = 20
        self.period_writes: list[int] = []
        self._rng = random.Random(seed)
        self.data_char = readable(ACCEL_DATA, lambda _c: self._sample_bytes(), notify=True)
        self.stream_while_subscribed(self.data_char, self._streaming)
        self.period_char = writable(ACCEL_PERIOD, self._on_period, read=lambda _c: struct.pack("<H", self.period_ms))

    def services(self) -> list[gatt.Service]:
        return [gatt.Service(ACCEL_SERVICE, [self.data_char, self.period_char])]

    def advertisement(self) -> bytes:
        return advertising_data(self.name)

    def _on_period(self, connection: Connection, value: bytes) -> None:
        if len(value) >= 2:
            wanted = struct.unpack_from("<H", value)[0]
            self.period_writes.append(wanted)
            self.period_ms = min(SUPPORTED_PERIODS_MS, key=lambda p: abs(p - wanted))

    def _sample_bytes(self, t: float | None = None) -> bytes:
        when = asyncio.get_running_loop().time() if t is None else t
        accel, _gyro = self.motion.sample(np.array([when - self.boot_s]))
        return struct.pack("<3h", *(round(max(-32768, min(32767, v * 1000))) for v in accel[0]))

    async def _streaming(self) -> None:
        loop = asyncio.get_running_loop()
        next_t = loop.time()
        while True:
            # Bursty: sometimes late, then catching up with several quick ones.
            next_t += self.period_ms / 1000.0
            delay = next_t - loop.time() + self._rng.choice((0.0, 0.0, 0.0, 0.015, 0.03))
            await asyncio.sleep(max(0.0, delay))
            await self.notify(self.data_char, self._sample_bytes(next_t))
