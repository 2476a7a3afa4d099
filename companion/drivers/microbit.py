"""Driver for the BBC micro:bit accelerometer service (MakeCode Bluetooth extension).

Accelerometer only (no gyroscope): enough for static tilt; the engine runs its
accelerometer-only path, and rotation ranges cannot be measured. The period is
written, then read back, because the device snaps it to a value it supports.
Notifications are bursty: samples are timed on arrival.
"""

from __future__ import annotations

import struct
from typing import ClassVar

from firmware_protocol import InvalidFrame

from ..readings import ImuReading
from .base import Read, SensorDriver, SensorKind, Step, Subscribe, Write

ACCEL_SERVICE = "e95d0753-251d-470a-a062-fa1922dfa9a8"
ACCEL_DATA = "e95dca4b-251d-470a-a062-fa1922dfa9a8"
ACCEL_PERIOD = "e95dfb24-251d-470a-a062-fa1922dfa9a8"


class MicrobitDriver(SensorDriver):
    kind: ClassVar[SensorKind] = SensorKind.MICROBIT
    label: ClassVar[str] = "BBC micro:bit (accelerometer)"

    def __init__(self, period_ms: int = 20) -> None:
        super().__init__()
        self.period_ms = period_ms
        self.actual_period_ms: int | None = None
        self._seq = 0
        self._last_t = float("-inf")

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return ACCEL_SERVICE in service_uuids or bool(name and name.startswith("BBC micro:bit"))

    def start_steps(self) -> list[Step]:
        return [
            Write(ACCEL_PERIOD, struct.pack("<H", self.period_ms)),
            Read(ACCEL_PERIOD, self._apply_period),  # the device snaps it: read back
            Subscribe(ACCEL_DATA),
        ]

    def _apply_period(self, value: bytes) -> None:
        if len(value) < 2:
            raise InvalidFrame("period must be 2 bytes", value)
        self.actual_period_ms = struct.unpack_from("<H", value)[0]
        self.rate_hz = 1000.0 / self.actual_period_ms if self.actual_period_ms else None

    def feed(self, uuid: str, data: bytes, arrival_s: float) -> list[ImuReading]:
        if uuid != ACCEL_DATA:
            return []
        if len(data) != 6:
            raise InvalidFrame(f"accelerometer data must be 6 bytes, got {len(data)}", data)
        x, y, z = struct.unpack("<3h", data)
        t = max(arrival_s, self._last_t + 1e-3)  # bursts arrive together: keep time moving
        self._last_t = t
        reading = ImuReading(t, (x / 1000.0, y / 1000.0, z / 1000.0), None, self._seq)
        self._seq += 1
        return [reading]
