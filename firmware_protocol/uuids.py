"""UUIDs of the open posture sensor protocol and the standard services it exposes."""

from __future__ import annotations


def _custom(short: int) -> str:
    return f"7a1e{short:04x}-5a6f-4c6b-9e3d-2b8f0c1d4e5a"


def _sig(short: int) -> str:
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


#: The posture sensor service: advertised, so scans can filter on it.
SENSOR_SERVICE = _custom(0x0001)
#: Read: :class:`~firmware_protocol.frames.DeviceInfo`, readable before streaming.
INFO_CHAR = _custom(0x0002)
#: Notify: :class:`~firmware_protocol.frames.SampleBatch` frames.
DATA_CHAR = _custom(0x0003)
#: Write with response + notify: :class:`~firmware_protocol.frames.Command` in,
#: :class:`~firmware_protocol.frames.CommandResponse` out.
CONTROL_CHAR = _custom(0x0004)
#: Read + notify: :class:`~firmware_protocol.frames.Status`.
STATUS_CHAR = _custom(0x0005)

BATTERY_SERVICE = _sig(0x180F)
BATTERY_LEVEL_CHAR = _sig(0x2A19)

DEVICE_INFO_SERVICE = _sig(0x180A)
MANUFACTURER_CHAR = _sig(0x2A29)
MODEL_CHAR = _sig(0x2A24)
SERIAL_CHAR = _sig(0x2A25)
FIRMWARE_REV_CHAR = _sig(0x2A26)

IMMEDIATE_ALERT_SERVICE = _sig(0x1802)
ALERT_LEVEL_CHAR = _sig(0x2A06)
