"""One local day of wear, as the plan and the score need it. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class DaySummary:
    """What the history holds for one local calendar day.

    ``worn_s`` is time the engine judged the wearer (upright, slouched or moving);
    time away (not calibrated, gaps) and paused time are not in it.
    """

    day: date
    worn_s: float = 0.0
    upright_s: float = 0.0
    slouched_s: float = 0.0
    moving_s: float = 0.0
    paused_s: float = 0.0
    episode_durations_s: tuple[float, ...] = field(default=())
    stretches: int = 0
    slouched_by_hour_s: tuple[float, ...] = field(default=())  # 24 entries, or () when unknown
    judged_by_hour_s: tuple[float, ...] = field(default=())

    @property
    def judged_s(self) -> float:
        return self.upright_s + self.slouched_s

    @property
    def upright_share(self) -> float | None:
        judged = self.judged_s
        return self.upright_s / judged if judged > 0 else None
