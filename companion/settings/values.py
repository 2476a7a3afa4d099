"""The settings and their checks, without the file: pure, for the engine's neighbours
(the coach, the live session) to import without TOML or the config directory.

Every value is checked; a bad one is reported with its section, key and allowed range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from ..engine import EngineSettings, SettingError
from ..errors import SettingsInvalid


class SettingsError(SettingsInvalid):
    """The settings file cannot be used; the message says where and why."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class NudgeSettings:
    bell: bool = True
    desktop: bool = True
    vibrate: bool = True
    minutes_between: int = 15
    training_mode: bool = False  # every sustained slouch is nudged, no alert budget
    tracking_mode: bool = False  # record silently: no nudges at all


@dataclass(frozen=True, slots=True)
class BreakSettings:
    sit_minutes: int = 40


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: str = ""  # "HH:MM"; empty: no quiet hours
    end: str = ""

    def contains(self, hour: int, minute: int) -> bool:
        if not self.start or not self.end:
            return False
        now = hour * 60 + minute
        start, end = _minutes(self.start), _minutes(self.end)
        return start <= now < end if start <= end else now >= start or now < end


@dataclass(frozen=True, slots=True)
class RememberedSensor:
    address: str
    name: str
    kind: str


@dataclass(frozen=True)
class Settings:
    posture: EngineSettings = field(default_factory=EngineSettings)
    nudges: NudgeSettings = field(default_factory=NudgeSettings)
    breaks: BreakSettings = field(default_factory=BreakSettings)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    sensor: RememberedSensor | None = None


# Keys the file may hold, per section: (type, check, allowed text).
_INT_RANGES = {("nudges", "minutes_between"): (5, 240), ("breaks", "sit_minutes"): (10, 180)}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _check_bool(section: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"[{section}] {key} = {value!r} is not allowed: true or false", f"{section}.{key}")
    return value


def _check_int(section: str, key: str, value: Any) -> int:
    low, high = _INT_RANGES[(section, key)]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(
            f"[{section}] {key} = {value!r} is not allowed: a whole number from {low} to {high}", f"{section}.{key}"
        )
    return value


def _check_time(section: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or (value and not _TIME.match(value)):
        raise SettingsError(
            f'[{section}] {key} = {value!r} is not allowed: a time as "HH:MM" (24-hour) or ""', f"{section}.{key}"
        )
    return value


def _known(section: str, table: dict[str, Any], cls: type) -> None:
    names = {f.name for f in fields(cls)}
    for key in table:
        if key not in names:
            raise SettingsError(
                f"unknown setting [{section}] {key}; known keys: {', '.join(sorted(names))}", f"{section}.{key}"
            )


def _sensor_kinds() -> list[str]:
    from ..drivers import DRIVERS

    return [driver.kind for driver in DRIVERS]


def from_dict(data: dict[str, Any]) -> Settings:
    """Check every value; raise SettingsError naming the first bad one."""
    sections = {"posture", "nudges", "breaks", "quiet_hours", "sensor"}
    for name, table in data.items():
        if name not in sections:
            raise SettingsError(f"unknown section [{name}]; known: {', '.join(sorted(sections))}", name)
        if not isinstance(table, dict):
            raise SettingsError(f"[{name}] must be a table of settings", name)
    posture_table = data.get("posture", {})
    _known("posture", posture_table, EngineSettings)
    try:
        posture = EngineSettings(**posture_table)
    except SettingError as exc:
        raise SettingsError(f"[posture] {exc}", f"posture.{exc.key}") from exc
    except TypeError as exc:
        raise SettingsError(f"[posture] {exc}", "posture") from exc
    nudges_table = data.get("nudges", {})
    _known("nudges", nudges_table, NudgeSettings)
    nudge_values: dict[str, Any] = {
        k: _check_int("nudges", k, v) if k == "minutes_between" else _check_bool("nudges", k, v)
        for k, v in nudges_table.items()
    }
    nudges = NudgeSettings(**nudge_values)
    if nudges.training_mode and nudges.tracking_mode:
        raise SettingsError(
            "[nudges] training_mode and tracking_mode exclude each other: training nudges every slouch, tracking none",
            "nudges.tracking_mode",
        )
    breaks_table = data.get("breaks", {})
    _known("breaks", breaks_table, BreakSettings)
    breaks = BreakSettings(**{k: _check_int("breaks", k, v) for k, v in breaks_table.items()})
    quiet_table = data.get("quiet_hours", {})
    _known("quiet_hours", quiet_table, QuietHours)
    quiet = QuietHours(**{k: _check_time("quiet_hours", k, v) for k, v in quiet_table.items()})
    if bool(quiet.start) != bool(quiet.end):
        raise SettingsError("[quiet_hours] needs both start and end, or neither", "quiet_hours")
    sensor = None
    if "sensor" in data:
        table = data["sensor"]
        _known("sensor", table, RememberedSensor)
        for key in ("address", "kind"):
            if key not in table:
                raise SettingsError(f"[sensor] needs {key}", f"sensor.{key}")
        for key, value in table.items():
            if not isinstance(value, str):
                raise SettingsError(f"[sensor] {key} = {value!r} is not allowed: text in quotes", f"sensor.{key}")
        kinds = _sensor_kinds()
        if table["kind"] not in kinds:
            raise SettingsError(
                f"[sensor] kind = {table['kind']!r} is not allowed: one of {', '.join(kinds)}", "sensor.kind"
            )
        if not table["address"].strip():
            raise SettingsError(
                "[sensor] address = '' is not allowed: the sensor's Bluetooth address", "sensor.address"
            )
        sensor = RememberedSensor(table["address"], table.get("name", ""), table["kind"])
    return Settings(posture, nudges, breaks, quiet, sensor)


def to_dict(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = {
        "posture": {f.name: getattr(settings.posture, f.name) for f in fields(EngineSettings)},
        "nudges": {f.name: getattr(settings.nudges, f.name) for f in fields(NudgeSettings)},
        "breaks": {f.name: getattr(settings.breaks, f.name) for f in fields(BreakSettings)},
        "quiet_hours": {f.name: getattr(settings.quiet_hours, f.name) for f in fields(QuietHours)},
    }
    if settings.sensor is not None:
        data["sensor"] = {f.name: getattr(settings.sensor, f.name) for f in fields(RememberedSensor)}
    return data


def with_value(settings: Settings, dotted_key: str, value: Any) -> Settings:
    """A copy with one setting changed and checked, e.g. ``posture.delay_s``."""
    data = to_dict(settings)
    section, key = dotted_key.split(".", 1)
    data.setdefault(section, {})[key] = value
    return from_dict(data)
