"""The activity gate: still, fidgeting, walking or in transition, from the signal.

Features come per engine tick (0.25 s): how fast the trunk turned during the tick
and the spread (RMS deviation from its mean) of the acceleration vector. Walking shows as a sustained bounce in the
acceleration; standing up, sitting down and reaching as fast rotation.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

import numpy as np


class Activity(enum.Enum):
    STILL = "still"
    FIDGETING = "fidgeting"
    WALKING = "walking"
    TRANSITION = "transition"


#: The activities by code, as :meth:`ActivityGate.update_many` returns them.
ACTIVITIES = tuple(Activity)
STILL_CODE, FIDGETING_CODE, WALKING_CODE, TRANSITION_CODE = range(4)


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

    def update_many(self, turn_rates_dps: np.ndarray, accel_spreads: np.ndarray) -> np.ndarray:
        """:meth:`update` for consecutive ticks at once; the codes index ACTIVITIES."""
        s = self.settings
        window = s.walking_window
        bouncy = accel_spreads > s.walking_accel
        seq = np.concatenate((np.fromiter(self._bouncy, bool, window), bouncy)).astype(np.int64)
        total = np.concatenate(([0], np.cumsum(seq)))
        # Bouncy ticks among the last ``window`` up to and including each tick.
        counts = total[window + 1 :] - total[1 : len(bouncy) + 1]
        still = (turn_rates_dps <= s.still_gyro_dps) & (accel_spreads <= s.fidget_accel)
        codes = np.where(still, STILL_CODE, FIDGETING_CODE)
        codes[turn_rates_dps > s.transition_gyro_dps] = TRANSITION_CODE
        codes[counts >= s.walking_share * window] = WALKING_CODE
        self._bouncy.extend(bouncy[-window:].tolist())
        self._bouncy_count = int(counts[-1])
        self.activity = ACTIVITIES[int(codes[-1])]
        return codes
