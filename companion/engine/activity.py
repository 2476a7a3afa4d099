"""The activity gate: still, fidgeting, walking or in transition, from the signal.

Features come per engine tick (0.25 s): how fast the trunk turned during the tick
and the spread (RMS deviation from its mean) of the acceleration vector. Walking shows as a sustained bounce in the
acceleration; standing up, sitting down and reaching as fast rotation.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass


class Activity(enum.Enum):
    STILL = "still"
    FIDGETING = "fidgeting"
    WALKING = "walking"
    TRANSITION = "transition"


@dataclass(frozen=True, slots=True)
class GateSettings:
    still_gyro_dps: float = 5.0
    transition_gyro_dps: float = 20.0
    fidget_accel: float = 0.03
    walking_accel: float = 0.10
    walking_window: int = 8  # ticks (2 s)
    walking_share: float = 0.6


class ActivityGate:
    def __init__(self, settings: GateSettings = GateSettings()) -> None:
        self.settings = settings
        self._bouncy: deque[bool] = deque([False] * settings.walking_window, maxlen=settings.walking_window)
        self._bouncy_count = 0
        self.activity = Activity.STILL

    def update(self, turn_rate_dps: float, accel_spread: float) -> Activity:
        s = self.settings
        bouncy = accel_spread > s.walking_accel
        self._bouncy_count += bouncy - self._bouncy[0]
        self._bouncy.append(bouncy)
        if self._bouncy_count >= s.walking_share * s.walking_window:
            activity = Activity.WALKING
        elif turn_rate_dps > s.transition_gyro_dps:
            activity = Activity.TRANSITION
        elif turn_rate_dps > s.still_gyro_dps or accel_spread > s.fidget_accel:
            activity = Activity.FIDGETING
        else:
            activity = Activity.STILL
        self.activity = activity
        return activity
