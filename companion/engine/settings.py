"""The engine's settings, with the defaults and ranges from docs/engine.md."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import SettingsInvalid

#: Alert delays offered to the wearer (seconds held before an alert).
DELAY_CHOICES_S = (5, 15, 30, 60, 120)


class SettingError(SettingsInvalid):
    """A setting outside its allowed range; the message names the key and the range."""

    def __init__(self, key: str, value: object, allowed: str) -> None:
        super().__init__(f"{key} = {value!r} is not allowed: {allowed}")
        self.key = key
        self.value = value
        self.allowed = allowed


_RANGES: dict[str, tuple[float, float]] = {
    "threshold_deg": (5.0, 40.0),
    "hysteresis_deg": (1.0, 10.0),
    "clear_hold_s": (0.5, 10.0),
    "dwell_s": (1.0, 30.0),
    "lateral_threshold_deg": (5.0, 40.0),
    "lateral_hold_s": (10.0, 600.0),
    "transition_quiet_s": (0.0, 10.0),
    "renudge_s": (60.0, 3600.0),
    "gap_s": (1.0, 60.0),
}


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Thresholds are relative to the wearer's calibrated upright (SCIENCE.md)."""

    threshold_deg: float = 10.0  # docs/engine.md "Thresholds from real people"
    delay_s: float = 30.0
    hysteresis_deg: float = 3.0
    clear_hold_s: float = 2.0
    dwell_s: float = 5.0
    lateral_threshold_deg: float = 12.0
    lateral_hold_s: float = 60.0
    transition_quiet_s: float = 3.0
    renudge_s: float = 300.0  # a slouch that lasts is nudged again this often
    gap_s: float = 5.0  # a silence in sample time this long ends the episode and counts as not worn

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "delay_s":
                if value not in DELAY_CHOICES_S:
                    raise SettingError("delay_s", value, f"one of {', '.join(map(str, DELAY_CHOICES_S))} seconds")
                continue
            low, high = _RANGES[f.name]
            if not isinstance(value, (int, float)) or not low <= value <= high:
                raise SettingError(f.name, value, f"a number from {low:g} to {high:g}")
        if self.hysteresis_deg >= self.threshold_deg:
            raise SettingError(
                "hysteresis_deg", self.hysteresis_deg, f"less than threshold_deg ({self.threshold_deg:g})"
            )

    @property
    def clear_deg(self) -> float:
        return self.threshold_deg - self.hysteresis_deg

    @property
    def start_after_s(self) -> float:
        """An episode starts once flexion has been held this long (never after the alert)."""
        return min(self.dwell_s, self.delay_s)
