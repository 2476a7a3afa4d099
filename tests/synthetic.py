"""Synthetic IMU signals built from first principles, independent of the project's
simulated wearer (companion/sim/wearer.py): the trunk's orientation is a
schedule of flexion, side lean and axial rotation; the sensor sits on it in any
mounting; the accelerometer reads gravity rotated into sensor axes and the
gyroscope the matching angular rate (from the relative rotation between samples).

Body axes: x forward, y left, z up. Flexion turns the up axis toward forward,
a positive side lean toward the wearer's right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from companion.readings import ImuReading
from companion.recording import G_MS2, write_header, write_readings


def rot(axis: str, deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return {
        "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


MOUNTINGS = {
    "straight": np.eye(3),
    "upside_down": rot("x", 180),
    "turned_90": rot("z", 90),
    "tilted": rot("y", 35) @ rot("z", 120),
}


@dataclass
class Schedule:
    """Postures held in turn: (ramp_s, hold_s, flexion, lateral, rotation) in degrees."""

    segments: list[tuple[float, float, float, float, float]] = field(default_factory=list)

    def hold(
        self, seconds: float, flexion: float = 0.0, lateral: float = 0.0, rotation: float = 0.0, ramp_s: float = 2.0
    ) -> Schedule:
        self.segments.append((ramp_s, seconds, flexion, lateral, rotation))
        return self

    @property
    def duration_s(self) -> float:
        return sum(r + h for r, h, *_ in self.segments)

    def pose(self, t: np.ndarray) -> np.ndarray:
        """(n, 3) flexion, lateral, rotation in degrees at times t (smooth ramps)."""
        knots_t, knots_p = [0.0], [np.zeros(3)]
        now = 0.0
        for ramp, hold, *pose in self.segments:
            now += ramp
            knots_t.append(now)
            knots_p.append(np.array(pose, float))
            now += hold
            knots_t.append(now)
            knots_p.append(np.array(pose, float))
        knots_t = np.array(knots_t)
        knots_p = np.array(knots_p)
        out = np.empty((len(t), 3))
        for k in range(3):
            # Cosine easing between knots keeps the angular rate continuous.
            i = np.clip(np.searchsorted(knots_t, t, side="right") - 1, 0, len(knots_t) - 2)
            span = np.maximum(knots_t[i + 1] - knots_t[i], 1e-9)
            u = np.clip((t - knots_t[i]) / span, 0.0, 1.0)
            ease = (1 - np.cos(np.pi * u)) / 2
            out[:, k] = knots_p[i, k] + (knots_p[i + 1, k] - knots_p[i, k]) * ease
        return out


def _rots(axis: str, deg: np.ndarray) -> np.ndarray:
    """:func:`rot` for many angles at once: (n, 3, 3)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((len(a), 3, 3))
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    out[:, i, i] = c
    out[:, j, j] = c
    out[:, i, j] = -s
    out[:, j, i] = s
    out[:, 3 - i - j, 3 - i - j] = 1.0
    return out


def _body(poses: np.ndarray) -> np.ndarray:
    """Trunk orientations (n, 3, 3) for poses (n, 3): flexion, lateral, rotation."""
    return _rots("z", poses[:, 2]) @ _rots("x", poses[:, 1]) @ _rots("y", poses[:, 0])


def _log(r: np.ndarray) -> np.ndarray:
    """Rotation vectors (n, 3) in rad of rotation matrices (n, 3, 3)."""
    trace = r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2]
    angle = np.arccos(np.clip((trace - 1) / 2, -1.0, 1.0))
    v = np.stack([r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]], axis=1)
    turning = angle >= 1e-9
    scale = np.zeros_like(angle)
    scale[turning] = angle[turning] / (2 * np.sin(angle[turning]))
    return v * scale[:, None]


def signals(
    schedule: Schedule,
    mounting: np.ndarray = MOUNTINGS["straight"],
    rate_hz: float = 50.0,
    *,
    noise_g: float = 0.002,
    noise_dps: float = 0.1,
    seed: int = 0,
    gyro_signs=(1.0, 1.0, 1.0),
    start_s: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (s), acceleration (g) and angular rate (deg/s) in sensor axes."""
    rng = np.random.default_rng(seed)
    n = int(schedule.duration_s * rate_hz)
    t = np.arange(n) / rate_hz
    dt = 1.0 / rate_hz
    rotations = _body(schedule.pose(t)) @ mounting
    accel = rotations[:, 2, :].copy()  # R.T @ (0, 0, 1): gravity's direction in sensor axes
    later = _body(schedule.pose(t + dt)) @ mounting
    gyro = np.degrees(_log(np.transpose(rotations, (0, 2, 1)) @ later)) / dt
    accel += rng.normal(0.0, noise_g, accel.shape)
    gyro = gyro * np.array(gyro_signs) + rng.normal(0.0, noise_dps, gyro.shape)
    return t + start_s, accel, gyro


def readings(
    schedule: Schedule, mounting: np.ndarray = MOUNTINGS["straight"], rate_hz: float = 50.0, **kwargs
) -> list[ImuReading]:
    t, accel, gyro = signals(schedule, mounting, rate_hz, **kwargs)
    return [
        ImuReading(ti, tuple(a), tuple(g), i)
        for i, (ti, a, g) in enumerate(zip(t.tolist(), accel.tolist(), gyro.tolist()))
    ]


def write(path: Path, rs: list[ImuReading], metadata: dict | None = None) -> Path:
    with path.open("w", newline="") as out:
        write_header(out, metadata)
        write_readings(out, rs)
    return path


_ROW = "{:.4f},{:.4f},{:.4f},{:.4f},{:.3f},{:.3f},{:.3f}\n"  # as write_readings writes a reading


def record(
    path: Path,
    schedule: Schedule,
    mounting: np.ndarray = MOUNTINGS["straight"],
    rate_hz: float = 50.0,
    metadata: dict | None = None,
    **kwargs,
) -> Path:
    """``write(path, readings(schedule, ...), metadata)`` without a reading object per
    sample: the same text, straight from the signals' arrays."""
    t, accel, gyro = signals(schedule, mounting, rate_hz, **kwargs)
    columns = [t, *(accel * G_MS2).T, *gyro.T]
    with path.open("w", newline="") as out:
        write_header(out, metadata)
        out.write("".join(map(_ROW.format, *(c.tolist() for c in columns))))
    return path


def upright_frame(mounting: np.ndarray) -> dict[str, list[float]]:
    """The exact body frame in sensor axes for a mounting: up and forward."""
    return {"up": list(mounting.T @ np.array([0.0, 0.0, 1.0])), "forward": list(mounting.T @ np.array([1.0, 0.0, 0.0]))}
