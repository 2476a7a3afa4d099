"""A simulated Upright GO 2 (commercial posture trainer), as its protocol was
published by the HA-Upright-Go-2-BLE project.

- 16-bit UUIDs on the SIG base; name "UprightGO2"; one connection at a time.
- 0xbac4: smoothed forward angle, int16 LE in tenths of a degree (~15 Hz), notify.
- 0xbac1: calibration command (0 start, 1 clear, 2 silent); 0xbac3 posture status.
- 0xbab2: 11-byte "freestyle" settings; 0xbab5: vibration on/off, which the device
  only takes when the mode is written twice in one value ([0,0] on, [1,1] off).
- 0xbad1: battery level index (0 unknown, 1 -> 0 %, 2 -> 5 %, n -> (n-2)*10 %).
"""

from __future__ import annotations

import asyncio
import struct

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..drivers.upright import (
    ANGLE,
    BATTERY_INDEX,
    CALIBRATE,
    CALIBRATION_SERVICE,
    CHARGING,
    FREESTYLE,
    POWER_SERVICE,
    SETTINGS_SERVICE,
    STATUS,
    VIBRATION,
)
from .motion import MotionSource, StillWearer
from .peripheral import SimulatedPeripheral, advertising_data, readable, writable
from .radio import VirtualRadio

RATE_HZ = 15.0


class UprightGoSensor(SimulatedPeripheral):
    kind = "upright_go"
    rssi_dbm = -70

    def __init__(
        self,
        radio: VirtualRadio,
        *,
        name: str = "UprightGO2",
        motion: MotionSource | None = None,
        battery_index: int = 9,
        seed: int = 0,
    ) -> None:
        super().__init__(radio, name)
        self.motion = motion if motion is not None else StillWearer(seed=seed)
        self.battery_index = battery_index
        self.vibration_on = True
        self.vibration_writes: list[bytes] = []
        self.calibrations: list[int] = []
        self.freestyle = bytes([5, 150, 0, 0, 35, 0, 0, 0, 0, 0, 0])
        self._zero_deg = 0.0
        self.angle_char = readable(ANGLE, lambda _c: self._angle_bytes(), notify=True)
        self.stream_while_subscribed(self.angle_char, self._streaming)

    def services(self) -> list[gatt.Service]:
        return [
            gatt.Service(
                CALIBRATION_SERVICE,
                [
                    writable(CALIBRATE, self._on_calibrate, with_response=True),
                    readable(STATUS, lambda _c: b"\x00", notify=True),
                    self.angle_char,
                ],
            ),
            gatt.Service(
                SETTINGS_SERVICE,
                [
                    writable(FREESTYLE, self._on_freestyle, read=lambda _c: self.freestyle),
                    writable(VIBRATION, self._on_vibration),
                ],
            ),
            gatt.Service(
                POWER_SERVICE,
                [
                    readable(BATTERY_INDEX, lambda _c: bytes([self.battery_index])),
                    readable(CHARGING, lambda _c: b"\x00"),
                ],
            ),
        ]

    def advertisement(self) -> bytes:
        return advertising_data(self.name)

    def device_angle_deg(self, t: float) -> float:
        """Its own forward tilt: from gravity in its frame, relative to its own calibration."""
        accel, _ = self.motion.sample(np.array([t - self.boot_s]))
        ax, ay, az = accel[0]
        return float(np.degrees(np.arctan2(-ax, np.hypot(ay, az)))) - self._zero_deg

    def _angle_bytes(self, t: float | None = None) -> bytes:
        when = asyncio.get_running_loop().time() if t is None else t
        return struct.pack("<h", round(self.device_angle_deg(when) * 10))

    def _on_calibrate(self, connection: Connection, value: bytes) -> None:
        if value:
            self.calibrations.append(value[0])
            if value[0] in (0, 2):
                self._zero_deg += self.device_angle_deg(asyncio.get_running_loop().time())
            elif value[0] == 1:
                self._zero_deg = 0.0

    def _on_freestyle(self, connection: Connection, value: bytes) -> None:
        if len(value) == 11:
            self.freestyle = bytes(value)

    def _on_vibration(self, connection: Connection, value: bytes) -> None:
        self.vibration_writes.append(bytes(value))
        if len(value) == 2 and value[0] == value[1] and value[0] in (0, 1):
            self.vibration_on = value[0] == 0  # a single byte is ignored, as on the device

    async def _streaming(self) -> None:
        loop = asyncio.get_running_loop()
        next_t = loop.time()
        while True:
            next_t += 1.0 / RATE_HZ
            await asyncio.sleep(max(0.0, next_t - loop.time()))
            await self.notify(self.angle_char, self._angle_bytes(next_t))
