"""Driver for WitMotion BLE 5.0 IMUs (WT901BLECL, WT9011DCL, BWT901BLE5.0).

Frames arrive concatenated or split across notifications: a byte buffer keeps
the remainder, resyncs on 0x55 0x61 / 0x55 0x71, cuts 20-byte frames and drops
garbage (counted as malformed). No device clock: samples are timed on arrival,
spread back at the configured rate when several arrive together.
"""

from __future__ import annotations

import itertools
import struct
from typing import ClassVar

from firmware_protocol import InvalidFrame

from ..readings import ImuReading
from .base import Pause, SensorDriver, SensorKind, Step, Subscribe, Write

WIT_SERVICE = "0000ffe5-0000-1000-8000-00805f9a34fb"
WIT_NOTIFY = "0000ffe4-0000-1000-8000-00805f9a34fb"
WIT_WRITE = "0000ffe9-0000-1000-8000-00805f9a34fb"
FRAME_SIZE = 20
RATE_CODES = {10: 0x06, 20: 0x07, 50: 0x08, 100: 0x09}
BATTERY_REGISTER = 0x64
# Vendor's table: volts -> percent, interpolated between the points.
BATTERY_TABLE = [(3.40, 0), (3.70, 20), (3.79, 50), (3.87, 75), (3.96, 100)]


def battery_percent(volts: float) -> int:
    if volts <= BATTERY_TABLE[0][0]:
        return 0
    for (v0, p0), (v1, p1) in itertools.pairwise(BATTERY_TABLE):
        if volts <= v1:
            return round(p0 + (p1 - p0) * (volts - v0) / (v1 - v0))
    return 100


class WitFrameParser:
    """A stream decoder: ``feed(bytes)`` returns whole frames; knows nothing about BLE."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.garbage_bytes = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        buffer = self._buffer
        while len(buffer) >= 2:
            if buffer[0] != 0x55 or buffer[1] not in (0x61, 0x71):
                skip = buffer.find(b"\x55", 1)
                skip = len(buffer) if skip < 0 else skip
                self.garbage_bytes += skip
                del buffer[:skip]
                continue
            if len(buffer) < FRAME_SIZE:
                break
            frames.append(bytes(buffer[:FRAME_SIZE]))
            del buffer[:FRAME_SIZE]
        return frames


class WitMotionDriver(SensorDriver):
    kind: ClassVar[SensorKind] = SensorKind.WITMOTION
    label: ClassVar[str] = "WitMotion BLE IMU"

    def __init__(self, rate_hz: int = 50) -> None:
        super().__init__()
        if rate_hz not in RATE_CODES:
            raise ValueError(f"rate_hz must be one of {', '.join(map(str, RATE_CODES))}")
        self.target_rate_hz = rate_hz
        self.rate_hz: float = float(rate_hz)
        self._parser = WitFrameParser()
        self._seq = 0
        self._last_t = float("-inf")

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return WIT_SERVICE in service_uuids or bool(name and name.startswith("WT"))

    def start_steps(self) -> list[Step]:
        self._parser = WitFrameParser()
        return [
            Subscribe(WIT_NOTIFY),  # streams at once, at the saved rate
            Write(WIT_WRITE, bytes.fromhex("ffaa6988b5")),  # unlock, valid ~10 s
            Pause(0.1),
            Write(WIT_WRITE, bytes([0xFF, 0xAA, 0x03, RATE_CODES[self.target_rate_hz], 0x00])),
            Pause(0.1),
            Write(WIT_WRITE, bytes.fromhex("ffaa000000")),  # save
            Write(WIT_WRITE, bytes([0xFF, 0xAA, 0x27, BATTERY_REGISTER, 0x00])),  # read battery
        ]

    def feed(self, uuid: str, data: bytes, arrival_s: float) -> list[ImuReading]:
        if uuid != WIT_NOTIFY:
            return []
        garbage_before = self._parser.garbage_bytes
        frames = self._parser.feed(data)
        samples = []
        for frame in frames:
            if frame[1] == 0x61:
                values = struct.unpack_from("<9h", frame, 2)
                accel = tuple(v / 32768 * 16.0 for v in values[0:3])
                gyro = tuple(v / 32768 * 2000.0 for v in values[3:6])
                samples.append((accel, gyro))
            else:
                register, *words = struct.unpack_from("<H8h", frame, 2)
                if register == BATTERY_REGISTER:
                    self.battery_percent = battery_percent(words[0] / 100.0)
        readings = []
        period = 1.0 / self.rate_hz
        for i, (accel, gyro) in enumerate(samples):
            t = max(arrival_s - (len(samples) - 1 - i) * period, self._last_t + 1e-3)
            self._last_t = t
            readings.append(ImuReading(t, accel, gyro, self._seq))
            self._seq += 1
        if self._parser.garbage_bytes > garbage_before and not readings:
            raise InvalidFrame(f"{self._parser.garbage_bytes - garbage_before} bytes of garbage dropped", data)
        return readings
