"""Driver for the Upright GO 2 / GO S: an angle, not raw IMU data.

Its smoothed forward angle (tenths of a degree, ~15 Hz) enters the engine as the
gravity direction it stands for, (-sin a, 0, cos a), on the engine's
accelerometer-only path: our calibration and detection run on it as on any sensor.
Its own vibration serves as the nudge: the driver sets its slouch delay to ours and
switches its vibration on or off (the device needs the mode written twice).
"""

from __future__ import annotations

import math
import struct
from typing import ClassVar

from firmware_protocol import InvalidFrame

from ..readings import ImuReading
from .base import Read, SensorDriver, SensorKind, Step, Subscribe, Write


def sig(short: int) -> str:
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


# The Upright GO 2's GATT map (one place: the simulated sensor uses it too).
CALIBRATION_SERVICE, CALIBRATE, STATUS, ANGLE = sig(0xBAC0), sig(0xBAC1), sig(0xBAC3), sig(0xBAC4)
SETTINGS_SERVICE, FREESTYLE, VIBRATION = sig(0xBAB0), sig(0xBAB2), sig(0xBAB5)
POWER_SERVICE, BATTERY_INDEX, CHARGING = sig(0xBAD0), sig(0xBAD1), sig(0xBAD2)
GO_DELAYS_S = (5, 15, 30, 60)


def battery_from_index(index: int) -> int | None:
    if index == 0:
        return None
    if index == 1:
        return 0
    if index == 2:
        return 5
    return min(100, (index - 2) * 10)


def freestyle_settings(delay_s: float, sensitivity: int = 5) -> bytes:
    """The 11-byte freestyle value: sensitivity, delay*10 (one of 5/15/30/60 s), pattern,
    strength (medium), no stop periods, default backward range."""
    delay = min(GO_DELAYS_S, key=lambda d: abs(d - delay_s))
    return bytes([sensitivity]) + struct.pack("<H", delay * 10) + bytes([0, 35, 0, 0, 0, 0, 0, 0])


class UprightGoDriver(SensorDriver):
    kind: ClassVar[SensorKind] = SensorKind.UPRIGHT_GO
    label: ClassVar[str] = "Upright GO 2 (angle only)"

    def __init__(self, delay_s: float = 30.0, vibrate: bool = True) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.vibrate = vibrate
        self.rate_hz = 15.0
        self.has_vibration = True
        self._seq = 0
        self._last_t = float("-inf")

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return bool(name and name.startswith("UprightGO")) or CALIBRATION_SERVICE in service_uuids

    def start_steps(self) -> list[Step]:
        mode = 0 if self.vibrate else 1
        return [
            Read(BATTERY_INDEX, self._apply_battery_index, optional=True),
            Write(FREESTYLE, freestyle_settings(self.delay_s)),
            Write(VIBRATION, bytes([mode, mode])),  # a single byte is ignored by the device
            Subscribe(ANGLE),
        ]

    def calibrate_step(self) -> Write:
        """Its own silent calibration, sent when the wearer calibrates with us."""
        return Write(CALIBRATE, b"\x02")

    def _apply_battery_index(self, value: bytes) -> None:
        if value:
            self.battery_percent = battery_from_index(value[0])

    def feed(self, uuid: str, data: bytes, arrival_s: float) -> list[ImuReading]:
        if uuid != ANGLE:
            return []
        if len(data) != 2:
            raise InvalidFrame(f"angle must be 2 bytes, got {len(data)}", data)
        angle = math.radians(struct.unpack("<h", data)[0] / 10.0)
        t = max(arrival_s, self._last_t + 1e-3)
        self._last_t = t
        reading = ImuReading(t, (-math.sin(angle), 0.0, math.cos(angle)), None, self._seq)
        self._seq += 1
        return [reading]
