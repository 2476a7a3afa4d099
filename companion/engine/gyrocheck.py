"""The sensor checked against itself: does the gyroscope turn the way the
accelerometer tilts?

When the trunk turns at angular rate w (sensor axes), gravity seen by the sensor
moves as dg/dt = g x w. Per engine tick the mean rate predicts the change of the
accelerometer's direction; over the movements of the first minutes the prediction
and the measured change must agree. Each of the eight axis-sign patterns is scored
by the correlation of its prediction with the measurement:

- the sensor's own signs correlate best and the scale is plausible: all is well;
- another pattern correlates clearly best: the axes are corrected with it;
- nothing fits (or the scale is off by more than 3x): the gyroscope is set aside
  and the engine runs on the accelerometer alone.

Public recordings show such sensors (correlation -0.56 to -0.94 with the
accelerometer); the sensors in ../shared/data correlate at +0.89 to +0.97.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .events import GyroscopeMismatch

EVIDENCE_DEG = 60.0  # summed tilt change over moving ticks before a verdict
MOVE_DEG = 0.5  # a tick's tilt change that counts as movement
JUMP_DEG = 15.0  # faster than 60 deg/s: a jump (a slip, a knock), not a posture change
GIVE_UP_S = 15 * 60.0  # no verdict after this long: the wearer sat too still to tell
GOOD_CORRELATION = 0.5
CORRECTABLE_CORRELATION = 0.6
CLEAR_MARGIN = 0.2
TIE = 0.05
SCALE_RANGE = (0.33, 3.0)

SIGNS = np.array(list(itertools.product((1.0, -1.0), repeat=3)))  # row 0 is (1, 1, 1)


class GyroCheck:
    def __init__(self) -> None:
        self._rate = [0.0, 0.0, 0.0, 0]
        self._prev: tuple[float, np.ndarray] | None = None
        self._started: float | None = None
        self._s = np.zeros(len(SIGNS))
        self._p = np.zeros(len(SIGNS))
        self._d = 0.0
        self._evidence_deg = 0.0

    def add_rate(self, g: tuple[float, float, float]) -> None:
        r = self._rate
        r[0] += g[0]
        r[1] += g[1]
        r[2] += g[2]
        r[3] += 1

    def reset_tick(self) -> None:
        """After a gap the previous direction is stale."""
        self._prev = None
        self._rate = [0.0, 0.0, 0.0, 0]

    def tick(self, t_s: float, accel_mean: tuple[float, float, float], walking: bool) -> GyroscopeMismatch | None:
        if self._started is None:
            self._started = t_s
        sx, sy, sz, n = self._rate
        self._rate = [0.0, 0.0, 0.0, 0]
        u = np.array(accel_mean, float)
        norm = float(np.linalg.norm(u))
        if norm < 1e-6 or n == 0:
            return None
        u /= norm
        prev = self._prev
        self._prev = (t_s, u)
        if prev is None or walking:
            return self._verdict(t_s) if t_s - self._started >= GIVE_UP_S else None
        dt = t_s - prev[0]
        dg = u - prev[1]
        moved = math.degrees(float(np.linalg.norm(dg)))
        w = np.radians(np.array((sx, sy, sz)) / n)
        mid = u + prev[1]
        mid /= float(np.linalg.norm(mid))
        predicted = np.cross(mid, SIGNS * w) * dt
        # Select on both the measured and the predicted change, so that neither's
        # noise alone picks the ticks (that would bias the scale).
        size = max(moved, math.degrees(float(np.linalg.norm(predicted[0]))))
        if MOVE_DEG <= size and moved <= JUMP_DEG and dt > 0:
            self._s += predicted @ dg
            self._p += np.einsum("ij,ij->i", predicted, predicted)
            self._d += float(dg @ dg)
            self._evidence_deg += moved
        if self._evidence_deg >= EVIDENCE_DEG or t_s - self._started >= GIVE_UP_S:
            return self._verdict(t_s)
        return None

    def _verdict(self, t_s: float) -> GyroscopeMismatch:
        if self._evidence_deg < EVIDENCE_DEG / 2 or self._d <= 0:
            return GyroscopeMismatch(t_s, "ok", (1.0, 1.0, 1.0), float("nan"), "not enough movement to check")
        correlation = self._s / np.sqrt(np.maximum(self._p, 1e-12) * self._d)
        order = np.argsort(-correlation)
        best, second = int(order[0]), int(order[1])
        own = float(correlation[0])
        scale = float(self._s[0] / self._p[0]) if self._p[0] > 0 else 0.0
        # Flipping the axis that stays along gravity changes no prediction, so patterns
        # can tie: the sensor's own signs win any tie.
        if own >= GOOD_CORRELATION and own >= float(correlation[best]) - TIE:
            if SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
                return GyroscopeMismatch(t_s, "ok", (1.0, 1.0, 1.0), own, "gyroscope agrees with the accelerometer")
            return GyroscopeMismatch(
                t_s, "ignored", (1.0, 1.0, 1.0), own,
                f"the gyroscope turns {1 / scale if scale else 0:.1f}x as far as the accelerometer tilts: "
                "it is set aside and posture is read from the accelerometer alone",
            )
        signs = tuple(float(v) for v in SIGNS[best])
        if (
            correlation[best] >= CORRECTABLE_CORRELATION
            and correlation[best] - own >= CLEAR_MARGIN
            and correlation[best] - correlation[second] >= TIE
        ):
            axes = ", ".join(name for name, v in zip("xyz", signs) if v < 0)
            return GyroscopeMismatch(
                t_s, "corrected", signs, float(correlation[best]),
                f"the gyroscope's {axes} axis turns the wrong way (correlation {own:+.2f} with the accelerometer): "
                "corrected",
            )
        return GyroscopeMismatch(
            t_s, "ignored", (1.0, 1.0, 1.0), own,
            f"the gyroscope does not match the accelerometer (correlation {own:+.2f}): it is set aside and "
            "posture is read from the accelerometer alone",
        )
