"""The sensor checked against itself: does the gyroscope turn the way the
accelerometer tilts?

When the trunk turns at angular rate w (sensor axes), gravity seen by the sensor
moves as dg/dt = g x w. Per engine tick the mean rate predicts the change of the
accelerometer's direction; over the movements of the first minutes the prediction
and the measured change must agree. Each of the eight axis-sign patterns is scored
by the correlation of its prediction with the measurement:

- the sensor's own signs correlate best and the scale is plausible: all is well;
- another pattern correlates clearly best: the axes are corrected with it;
- the own signs correlate negatively with no clear correction, or the fit is clear
  but the scale is off by more than 3x: the gyroscope is set aside and the engine
  runs on the accelerometer alone;
- anything else is inconclusive: evidence keeps accumulating, and after
  GIVE_UP_S the gyroscope is kept.

Public recordings show such sensors (correlation -0.56 to -0.94 with the
accelerometer); the sensors in ../shared/data correlate at +0.89 to +0.97.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .events import GyroscopeMismatch

EVIDENCE_DEG = 60.0  # summed tilt change over moving ticks before a verdict
DOUBT_EVIDENCE_DEG = 10.0  # movement needed before the check may doubt the gyroscope
MOVE_DEG = 0.5  # a tick's tilt change that counts as movement
QUASI_STATIC_G = 0.05
JUMP_DEG = 15.0  # faster than 60 deg/s: a jump (a slip, a knock), not a posture change
GIVE_UP_S = 15 * 60.0  # no verdict after this long: the wearer sat too still to tell
GOOD_CORRELATION = 0.5
CORRECTABLE_CORRELATION = 0.6
CLEAR_MARGIN = 0.4
WRONG_WAY_CORRELATION = -0.3
SCALE_CORRELATION = 0.8  # the scale is only judged on a clear fit
TIE = 0.05
SCALE_RANGE = (0.33, 3.0)

SIGNS = np.array(list(itertools.product((1.0, -1.0), repeat=3)))  # row 0 is (1, 1, 1)


class GyroCheck:
    def __init__(self) -> None:
        self._rate = [0.0, 0.0, 0.0, 0]
        self._prev: tuple[float, np.ndarray] | None = None
        self._started: float | None = None
        # Sums over the selected ticks, from which the eight patterns' sums follow
        # (see _sums): a prediction is linear in the signs, its square quadratic.
        self._linear = [0.0, 0.0, 0.0]
        self._square = 0.0
        self._pairs = [0.0, 0.0, 0.0]
        self._d = 0.0
        self._evidence_deg = 0.0

    def add_rate(self, g: tuple[float, float, float]) -> None:
        r = self._rate
        r[0] += g[0]
        r[1] += g[1]
        r[2] += g[2]
        r[3] += 1

    def add_rates(self, x: float, y: float, z: float, n: int) -> None:
        """Summed rates of n samples."""
        r = self._rate
        r[0] += x
        r[1] += y
        r[2] += z
        r[3] += n

    def reset_tick(self) -> None:
        """After a gap the previous direction is stale."""
        self._prev = None
        self._rate = [0.0, 0.0, 0.0, 0]

    def tick(
        self, t_s: float, accel_mean: tuple[float, float, float], spread_g: float, walking: bool
    ) -> GyroscopeMismatch | None:
        if self._started is None:
            self._started = t_s
        sx, sy, sz, n = self._rate
        self._rate = [0.0, 0.0, 0.0, 0]
        ax, ay, az = accel_mean
        norm = math.sqrt(ax * ax + ay * ay + az * az)
        if norm < 1e-6 or n == 0:
            return None
        u = (ax / norm, ay / norm, az / norm)
        prev = self._prev
        self._prev = (t_s, u)
        # Only quasi-static ticks: there the mean acceleration is gravity. Walking,
        # jolts and fast moves add accelerations the gyroscope has no part in.
        quasi_static = spread_g < QUASI_STATIC_G and abs(norm - 1.0) < QUASI_STATIC_G
        if prev is None or walking or not quasi_static:
            return self._verdict(t_s) if t_s - self._started >= GIVE_UP_S else None
        dt = t_s - prev[0]
        p = prev[1]
        dx, dy, dz = u[0] - p[0], u[1] - p[1], u[2] - p[2]
        moved = math.degrees(math.sqrt(dx * dx + dy * dy + dz * dz))
        wx, wy, wz = math.radians(sx / n), math.radians(sy / n), math.radians(sz / n)
        mx, my, mz = u[0] + p[0], u[1] + p[1], u[2] + p[2]
        mid = math.sqrt(mx * mx + my * my + mz * mz)
        mx, my, mz = mx / mid, my / mid, mz / mid
        # The predicted change mid x (signs * w) * dt, for signs (sx, sy, sz), is
        # (sz a - sy b, sx c - sz d, sy e - sx f) with these six products.
        a, b, c = my * wz * dt, mz * wy * dt, mz * wx * dt
        d, e, f = mx * wz * dt, mx * wy * dt, my * wx * dt
        own = math.degrees(math.sqrt((a - b) ** 2 + (c - d) ** 2 + (e - f) ** 2))
        # Select on both the measured and the predicted change, so that neither's
        # noise alone picks the ticks (that would bias the scale).
        size = max(moved, own)
        if size >= MOVE_DEG and moved <= JUMP_DEG and dt > 0:
            linear, pairs = self._linear, self._pairs
            linear[0] += c * dy - f * dz
            linear[1] += e * dz - b * dx
            linear[2] += a * dx - d * dy
            self._square += a * a + b * b + c * c + d * d + e * e + f * f
            pairs[0] += b * a  # with sy * sz
            pairs[1] += c * d  # with sx * sz
            pairs[2] += e * f  # with sx * sy
            self._d += dx * dx + dy * dy + dz * dz
            self._evidence_deg += moved
        if self._evidence_deg >= EVIDENCE_DEG or t_s - self._started >= GIVE_UP_S:
            return self._verdict(t_s)
        return None

    @property
    def _s(self) -> np.ndarray:
        """Per sign pattern: the summed dot product of prediction and measurement."""
        return SIGNS @ np.array(self._linear)

    @property
    def _p(self) -> np.ndarray:
        """Per sign pattern: the summed squared prediction."""
        cross = SIGNS[:, [1, 0, 0]] * SIGNS[:, [2, 2, 1]]  # sy sz, sx sz, sx sy
        return self._square - 2.0 * (cross @ np.array(self._pairs))

    def trusted_so_far(self) -> bool:
        """No reason yet to doubt the gyroscope: too little movement to tell, or the
        movement so far agrees."""
        if self._evidence_deg < DOUBT_EVIDENCE_DEG or self._d <= 0:
            return True
        own_p = self._square - 2.0 * sum(self._pairs)  # the sensor's own signs: all +1
        if own_p <= 0:
            return True
        return sum(self._linear) / math.sqrt(own_p * self._d) >= GOOD_CORRELATION

    def _verdict(self, t_s: float) -> GyroscopeMismatch | None:
        """A verdict, or None to keep gathering evidence (until GIVE_UP_S)."""
        final = self._started is not None and t_s - self._started >= GIVE_UP_S
        if self._evidence_deg < EVIDENCE_DEG / 2 or self._d <= 0:
            return (
                GyroscopeMismatch(t_s, "ok", (1.0, 1.0, 1.0), float("nan"), "not enough movement to check")
                if final
                else None
            )
        sums, squares = self._s, self._p
        correlation = sums / np.sqrt(np.maximum(squares, 1e-12) * self._d)
        order = np.argsort(-correlation)
        best, second = int(order[0]), int(order[1])
        own = float(correlation[0])
        top = float(correlation[best])
        scale = float(sums[0] / squares[0]) if squares[0] > 0 else 0.0
        # Flipping the axis that stays along gravity changes no prediction, so patterns
        # can tie: the sensor's own signs win any tie.
        if own >= top - TIE:
            if own >= SCALE_CORRELATION and not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
                return GyroscopeMismatch(
                    t_s,
                    "ignored",
                    (1.0, 1.0, 1.0),
                    own,
                    f"the gyroscope turns {1 / scale if scale else 0:.1f}x as far as the accelerometer tilts: "
                    "it is set aside and posture is read from the accelerometer alone",
                )
            if own >= GOOD_CORRELATION or final:
                return GyroscopeMismatch(t_s, "ok", (1.0, 1.0, 1.0), own, "gyroscope agrees with the accelerometer")
            return None
        signs = tuple(float(v) for v in SIGNS[best])
        if top >= CORRECTABLE_CORRELATION and top - own >= CLEAR_MARGIN and top - float(correlation[second]) >= TIE:
            axes = ", ".join(name for name, v in zip("xyz", signs) if v < 0)
            return GyroscopeMismatch(
                t_s,
                "corrected",
                signs,
                top,
                f"the gyroscope's {axes} axis turns the wrong way (correlation {own:+.2f} with the accelerometer): "
                "corrected",
            )
        if own <= WRONG_WAY_CORRELATION:
            return GyroscopeMismatch(
                t_s,
                "ignored",
                (1.0, 1.0, 1.0),
                own,
                f"the gyroscope turns against the accelerometer (correlation {own:+.2f}): it is set aside and "
                "posture is read from the accelerometer alone",
            )
        if final:
            return GyroscopeMismatch(t_s, "ok", (1.0, 1.0, 1.0), own, "inconclusive; the gyroscope is kept")
        return None
