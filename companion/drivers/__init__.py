"""Sensor drivers: per device family, a GATT map and a byte decoder. Pure code."""

from .base import Pause, Read, SensorDriver, SensorKind, Step, Subscribe, Write
from .microbit import MicrobitDriver
from .reference import ReferenceDriver
from .upright import UprightGoDriver
from .witmotion import WitMotionDriver

#: Every supported family, in the order detection tries them.
DRIVERS: tuple[type[SensorDriver], ...] = (ReferenceDriver, WitMotionDriver, UprightGoDriver, MicrobitDriver)


def detect_kind(name: str | None, service_uuids: list[str]) -> type[SensorDriver] | None:
    """The driver for an advertisement, or None when no supported sensor sent it."""
    for driver in DRIVERS:
        if driver.matches(name, service_uuids):
            return driver
    return None


def make_driver(kind: str, *, delay_s: float = 30.0, vibrate: bool = True) -> SensorDriver:
    """A driver for ``kind`` set up from the user's settings where the device takes any."""
    if kind == UprightGoDriver.kind:
        return UprightGoDriver(delay_s=delay_s, vibrate=vibrate)
    return driver_for_kind(kind)()


def driver_for_kind(kind: str) -> type[SensorDriver]:
    for driver in DRIVERS:
        if driver.kind == kind:
            return driver
    raise KeyError(f"unknown sensor kind {kind!r}; known: {', '.join(d.kind for d in DRIVERS)}")


__all__ = [
    "DRIVERS",
    "MicrobitDriver",
    "Pause",
    "Read",
    "ReferenceDriver",
    "SensorDriver",
    "SensorKind",
    "Step",
    "Subscribe",
    "UprightGoDriver",
    "WitMotionDriver",
    "Write",
    "detect_kind",
    "driver_for_kind",
    "make_driver",
]
