"""The guided calibration: sit upright and still, then lean forward and hold.

Runs on the engine's ticks; its result is the wearer's body frame.
"""

from __future__ import annotations

import math

import numpy as np

from .activity import Activity
from .calibration import BodyFrame, CalibrationError
from .events import CalibrationCompleted, CalibrationProgress, EngineEvent

UPRIGHT_HOLD_S = 4.0
LEAN_MIN_DEG = 12.0
LEAN_HOLD_S = 1.0


class GuidedCalibration:
    """Upright (still for ``UPRIGHT_HOLD_S``), then a forward lean (at least
    ``LEAN_MIN_DEG``, held ``LEAN_HOLD_S``)."""

    def __init__(self, t_s: float) -> None:
        self.phase = "upright"
        self.up: np.ndarray | None = None
        self._since: float | None = None
        self._sum = np.zeros(3)
        self._moving_reported = False
        self.started_s = t_s

    @property
    def hold_started_s(self) -> float | None:
        return self._since

    def tick(self, t_s: float, gravity: np.ndarray, activity: Activity) -> list[EngineEvent]:
        if self.phase == "upright":
            return self._upright(t_s, gravity, activity)
        return self._lean(t_s, gravity, activity)

    def _restart_hold(self) -> None:
        self._since = None
        self._sum = np.zeros(3)

    def _upright(self, t_s: float, gravity: np.ndarray, activity: Activity) -> list[EngineEvent]:
        if activity is not Activity.STILL:
            self._restart_hold()
            if not self._moving_reported:
                self._moving_reported = True
                return [
                    CalibrationProgress(
                        t_s, "upright", f"Hold still: the sensor feels you {activity.value}.", moving=True
                    )
                ]
            return []
        events: list[EngineEvent] = []
        if self._moving_reported:
            self._moving_reported = False
            events.append(CalibrationProgress(t_s, "upright", "Good, hold still and sit upright."))
        if self._since is None:
            self._since = t_s
        self._sum += gravity
        if t_s - self._since >= UPRIGHT_HOLD_S:
            self.up = self._sum / np.linalg.norm(self._sum)
            self.phase = "lean"
            self._restart_hold()
            events.append(
                CalibrationProgress(
                    t_s, "lean", "Upright captured. Now lean forward slowly, about 20 degrees, and hold."
                )
            )
        return events

    def _lean(self, t_s: float, gravity: np.ndarray, activity: Activity) -> list[EngineEvent]:
        assert self.up is not None
        g = gravity / np.linalg.norm(gravity)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, float(g @ self.up)))))
        if angle < LEAN_MIN_DEG or activity in (Activity.WALKING, Activity.TRANSITION):
            self._restart_hold()
            return []
        if self._since is None:
            self._since = t_s
        self._sum += g
        if t_s - self._since < LEAN_HOLD_S:
            return []
        try:
            frame = BodyFrame.from_lean(self.up, self._sum)
        except CalibrationError as exc:
            self._restart_hold()
            return [CalibrationProgress(t_s, "lean", str(exc))]
        self.phase = "done"
        return [CalibrationCompleted(t_s, frame)]
