"""A simulated WitMotion BLE 5.0 IMU (WT901BLECL / WT9011DCL), quirks included.

- Vendor UUIDs on the ...9a34fb base (not the SIG ...9b34fb); the service is not
  advertised, only the name ("WT901BLE68").
- 20-byte 0x55 0x61 frames (acc, gyro, angle as int16), streamed as soon as
  notifications are enabled, 10 Hz by default; several frames may share one
  notification and a frame may be split across two.
- Register reads (FF AA 27 reg 00) answered on the same characteristic with a
  0x55 0x71 frame, interleaved with data; battery voltage is register 0x64.
- The rate changes only after an unlock (FF AA 69 88 B5) within 10 s.
- The first connection is refused (dropped at once).
"""

from __future__ import annotations

import asyncio
import random
import struct

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..drivers.witmotion import WIT_NOTIFY, WIT_SERVICE, WIT_WRITE
from .motion import MotionSource, SamplesAhead, StillWearer
from .peripheral import SimulatedPeripheral, advertising_data, writable
from .radio import VirtualRadio

RATE_CODES_HZ = {0x06: 10, 0x07: 20, 0x08: 50, 0x09: 100, 0x0B: 200}
UNLOCK = bytes.fromhex("ffaa6988b5")
SAVE = bytes.fromhex("ffaa000000")


def _int16(value: float, full_scale: float) -> int:
    return int(max(-32768, min(32767, round(value / full_scale * 32768))))


class WitMotionSensor(SimulatedPeripheral):
    kind = "witmotion"
    rssi_dbm = -62

    def __init__(
        self,
        radio: VirtualRadio,
        *,
        name: str = "WT901BLE68",
        motion: MotionSource | None = None,
        battery_volts: float = 3.87,
        refuse_first_connection: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__(radio, name)
        self.motion = motion if motion is not None else StillWearer(seed=seed)
        self.battery_volts = battery_volts
        self.rate_hz = 10
        self.refuse_first_connection = refuse_first_connection
        self.saved = False
        self.refused = 0
        self._unlocked_until = -1.0
        self._rng = random.Random(seed)
        self._pending = b""  # bytes of a frame split across notifications
        self.notify_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            WIT_NOTIFY,
            gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.READABLE,
            gatt.CharacteristicValue(read=lambda _c: b""),
        )
        self.stream_while_subscribed(self.notify_char, self._streaming)
        self.write_char = writable(WIT_WRITE, self._on_write, with_response=True)

    def services(self) -> list[gatt.Service]:
        return [gatt.Service(WIT_SERVICE, [self.notify_char, self.write_char])]

    def advertisement(self) -> bytes:
        return advertising_data(self.name)

    def on_connected(self, connection: Connection) -> None:
        if self.refuse_first_connection and self.refused == 0:
            self.refused += 1
            self.spawn(self._refuse(connection))

    async def _refuse(self, connection: Connection) -> None:
        await asyncio.sleep(0.005)  # the link forms, then the device drops it
        await connection.disconnect()

    def _on_write(self, connection: Connection, value: bytes) -> None:
        now = asyncio.get_running_loop().time()
        value = bytes(value)
        if value == UNLOCK:
            self._unlocked_until = now + 10.0
        elif value[:3] == b"\xff\xaa\x03" and len(value) == 5:
            if now <= self._unlocked_until and value[3] in RATE_CODES_HZ:
                self.rate_hz = RATE_CODES_HZ[value[3]]
                if self._notifier_task is not None:  # the new rate from the next frame
                    self.restart_stream()
        elif value == SAVE:
            self.saved = now <= self._unlocked_until
        elif value[:3] == b"\xff\xaa\x27" and len(value) == 5:
            self.spawn(self._send(self._register_frame(value[3])))

    def _register_frame(self, register: int) -> bytes:
        values = [0] * 8
        if register == 0x64:
            values[0] = round(self.battery_volts * 100)
        return b"\x55\x71" + struct.pack("<H8h", register, *values)

    def data_frame(self, accel_g, gyro_dps) -> bytes:
        ax, ay, az = accel_g
        # The device's own angles (roll, pitch from gravity; yaw not simulated).
        roll = float(np.degrees(np.arctan2(ay, az)))
        pitch = float(np.degrees(np.arctan2(-ax, np.hypot(ay, az))))
        return b"\x55\x61" + struct.pack(
            "<9h",
            *(_int16(v, 16.0) for v in accel_g),
            *(_int16(v, 2000.0) for v in gyro_dps),
            _int16(roll, 180.0),
            _int16(pitch, 180.0),
            0,
        )

    def _frames(self, accel_g: np.ndarray, gyro_dps: np.ndarray) -> list[bytes]:
        return [self.data_frame(a, g) for a, g in zip(accel_g.reshape(-1, 3), gyro_dps.reshape(-1, 3))]

    async def _streaming(self) -> None:
        loop = asyncio.get_running_loop()
        samples = SamplesAhead(self.motion, loop.time(), 1.0 / self.rate_hz, self._frames, max_frames=256)
        index = 0
        try:
            while True:
                # Two frames per notification now and then, as the real stack does.
                count = 2 if self._rng.random() < 0.3 else 1
                await asyncio.sleep(max(0.0, samples.time_of(index + count - 1) - loop.time()))
                await self._send(b"".join(samples.take(index + k, 1, self.boot_s) for k in range(count)))
                index += count
        finally:
            samples.close()

    async def _send(self, payload: bytes) -> None:
        payload = self._pending + payload
        self._pending = b""
        if len(payload) > 20 and self._rng.random() < 0.2:
            cut = self._rng.randrange(1, len(payload) - 1)  # split mid-frame
            payload, self._pending = payload[:cut], payload[cut:]
        await self.notify(self.notify_char, payload)
