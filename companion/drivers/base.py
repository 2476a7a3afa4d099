"""What a driver is: the steps to start a sensor, and a decoder for its bytes.

Drivers never touch BLE themselves. The link runs their steps (reads, writes,
subscriptions, pauses) and feeds every notification back to ``feed``. Anything
the bytes cannot be decoded into raises :class:`firmware_protocol.ProtocolError`;
the link counts and drops it.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from firmware_protocol import uuids

from ..readings import ImuReading


class SensorKind(enum.StrEnum):
    """The supported sensor families; the value is what recordings and settings store."""

    REFERENCE = "reference"
    WITMOTION = "witmotion"
    UPRIGHT_GO = "upright_go"
    MICROBIT = "microbit"


@dataclass(frozen=True, slots=True)
class Read:
    """Read a characteristic and hand the value to ``apply``; optional ones may be absent."""

    uuid: str
    apply: Callable[[bytes], None]
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Write:
    uuid: str
    data: bytes
    response: bool = True


@dataclass(frozen=True, slots=True)
class Subscribe:
    uuid: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float


Step = Read | Write | Subscribe | Pause


@dataclass(slots=True)
class DeviceDetails:
    """What the Device Information service says, where the sensor has one."""

    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    firmware: str = ""


class SensorDriver(abc.ABC):
    """One device family. A fresh instance per connection session is not needed:
    ``start_steps`` is called after every (re)connection and resets stream state."""

    kind: ClassVar[SensorKind]
    label: ClassVar[str]

    def __init__(self) -> None:
        self.battery_percent: int | None = None
        self.rate_hz: float | None = None
        self.details = DeviceDetails()
        self.has_vibration = False

    @classmethod
    @abc.abstractmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        """Whether an advertisement comes from this family."""

    @abc.abstractmethod
    def start_steps(self) -> list[Step]:
        """Steps that take a freshly connected sensor to streaming."""

    def stop_steps(self) -> list[Step]:
        """Steps that stop streaming before a clean disconnect."""
        return []

    @abc.abstractmethod
    def feed(self, uuid: str, data: bytes, arrival_s: float) -> list[ImuReading]:
        """Decode one notification; raise ProtocolError for bytes that make no sense."""

    def finish(self) -> list[ImuReading]:
        """Readings still held (for reordering) when the stream ends."""
        return []

    def alert_step(self, level: int) -> Write | None:
        """How to make the sensor vibrate, or None when it cannot."""
        return None

    @property
    def lost_samples(self) -> int:
        return 0

    @property
    def duplicate_frames(self) -> int:
        return 0

    @property
    def time_repairs(self) -> int:
        """Device timestamps replaced because they disagreed with the sample count."""
        return 0

    def details_steps(self) -> list[Step]:
        """Optional reads of the standard Device Information service."""

        def setter(field: str) -> Callable[[bytes], None]:
            return lambda value: setattr(self.details, field, bytes(value).decode("utf-8", "replace").strip("\0 "))

        return [
            Read(uuids.MANUFACTURER_CHAR, setter("manufacturer"), optional=True),
            Read(uuids.MODEL_CHAR, setter("model"), optional=True),
            Read(uuids.SERIAL_CHAR, setter("serial"), optional=True),
            Read(uuids.FIRMWARE_REV_CHAR, setter("firmware"), optional=True),
        ]

    def battery_steps(self) -> list[Step]:
        """Read and follow the standard Battery Service, where there is one."""
        return [
            Read(uuids.BATTERY_LEVEL_CHAR, self._apply_battery, optional=True),
            Subscribe(uuids.BATTERY_LEVEL_CHAR, optional=True),
        ]

    def _apply_battery(self, value: bytes) -> None:
        if len(value) >= 1 and value[0] <= 100:
            self.battery_percent = value[0]
