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
from .motion import MotionSource, SamplesAhead, StillWearer
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
        self.data_char = readable(ACCEL_DATA, lambda _c: self._read_sample(), notify=True)
        self._latest: bytes | None = None
        self._samples: SamplesAhead[bytes] | None = None  # the running stream's
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

    def _read_sample(self) -> bytes:
        """A read gives the latest reading: the one last sent while streaming, else
        one taken now (after giving back what the stream drew ahead, so that the
        source's draws stay in the order they are used)."""
        if self._notifier_task is not None and self._latest is not None:
            return self._latest
        if self._samples is not None:
            self._samples.close()
        accel, gyro = self.motion.sample(np.array([asyncio.get_running_loop().time() - self.boot_s]))
        return self._pack(accel[None], gyro[None])[0]

    @staticmethod
    def _pack(accel_g: np.ndarray, _gyro_dps: np.ndarray) -> list[bytes]:
        """Each sample as 3 int16 LE in milli-g, saturated."""
        raw = np.clip(np.rint(accel_g.reshape(-1, 3) * 1000), -32768, 32767).astype("<i2")
        return [row.tobytes() for row in raw]

    async def _streaming(self) -> None:
        loop = asyncio.get_running_loop()
        samples: SamplesAhead[bytes] | None = None
        index, period_ms = 0, 0
        self._latest = None  # nothing sent on this subscription yet
        try:
            while True:
                if samples is None or self.period_ms != period_ms:
                    # A new period counts from the last sample taken.
                    start_s = loop.time() if samples is None else samples.time_of(index)
                    if samples is not None:
                        samples.close()
                    index, period_ms = 0, self.period_ms
                    samples = SamplesAhead(self.motion, start_s, period_ms / 1000.0, self._pack, max_frames=256)
                    self._samples = samples
                index += 1
                # Bursty: sometimes late, then catching up with several quick ones.
                late_s = self._rng.choice((0.0, 0.0, 0.0, 0.015, 0.03))
                await asyncio.sleep(max(0.0, samples.time_of(index) - loop.time() + late_s))
                self._latest = samples.take(index, 1, self.boot_s)
                await self.notify(self.data_char, self._latest)
        finally:
            if samples is not None:
                samples.close()
            if self._samples is samples:
                self._samples = None
