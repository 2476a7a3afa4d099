"""Facts the engine reports, on sample time (``t_s``: when the engine knew)."""

from __future__ import annotations

from dataclasses import dataclass

from .calibration import BodyFrame


@dataclass(frozen=True, slots=True)
class SlouchStarted:
    t_s: float
    onset_s: float
    flexion_deg: float


@dataclass(frozen=True, slots=True)
class SlouchAlerted:
    t_s: float
    onset_s: float
    flexion_deg: float


@dataclass(frozen=True, slots=True)
class SlouchReminded:
    """The slouch alerted at ``onset_s`` still lasts: nudge again (``count`` from 1)."""

    t_s: float
    onset_s: float
    flexion_deg: float
    count: int


@dataclass(frozen=True, slots=True)
class SlouchEnded:
    t_s: float
    start_s: float
    end_s: float
    peak_deg: float
    mean_deg: float
    alerted: bool

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class LeanAlerted:
    t_s: float
    onset_s: float
    lateral_deg: float

    @property
    def side(self) -> str:
        return "right" if self.lateral_deg > 0 else "left"


@dataclass(frozen=True, slots=True)
class RecalibrationNeeded:
    t_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class DataGap:
    """No samples from ``start_s`` (the last one before the silence) to ``end_s`` (the
    first after it). The time between counts as not worn; an episode in progress
    ended at ``start_s`` and the hold timer starts again."""

    t_s: float
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class GyroscopeMismatch:
    """The gyroscope disagrees with the accelerometer's tilt changes. ``action`` is
    "corrected" (axis signs fixed: ``signs``) or "ignored" (accelerometer only)."""

    t_s: float
    action: str
    signs: tuple[float, float, float]
    correlation: float
    message: str


@dataclass(frozen=True, slots=True)
class CalibrationProgress:
    """The guided calibration moved on, or is waiting: ``message`` says for what."""

    t_s: float
    phase: str  # "upright" | "lean"
    message: str
    moving: bool = False


@dataclass(frozen=True, slots=True)
class CalibrationCompleted:
    t_s: float
    frame: BodyFrame


EngineEvent = (
    SlouchStarted
    | SlouchAlerted
    | SlouchReminded
    | SlouchEnded
    | DataGap
    | GyroscopeMismatch
    | LeanAlerted
    | RecalibrationNeeded
    | CalibrationProgress
    | CalibrationCompleted
)
