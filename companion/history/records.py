"""What goes into the history: plain records with wall-clock times (Unix seconds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionStarted:
    at: float
    sensor_address: str
    sensor_name: str
    sensor_kind: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    at: float


@dataclass(frozen=True, slots=True)
class Bin:
    """``seconds`` of wearing, split by state, with mean angles over the judged time."""

    start: float
    seconds: float
    upright_s: float
    slouched_s: float
    moving_s: float
    away_s: float
    mean_flexion_deg: float | None
    mean_lateral_deg: float | None


@dataclass(frozen=True, slots=True)
class Episode:
    start: float
    end: float
    peak_deg: float
    mean_deg: float
    alerted: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    at: float
    kind: str  # slouch | lean | break
    angle_deg: float | None
    delivered: bool


@dataclass(frozen=True, slots=True)
class Calibration:
    at: float
    up: tuple[float, float, float]
    forward: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Stretch:
    at: float
    kind: str
    completed_by: str  # sensor | hand
    duration_s: float
    left_deg: float | None = None
    right_deg: float | None = None
    extension_deg: float | None = None


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    at: float
    left_rotation_deg: float
    right_rotation_deg: float
    lateral_rest_deg: float


Record = SessionStarted | SessionEnded | Bin | Episode | Alert | Calibration | Stretch | BalanceCheck
