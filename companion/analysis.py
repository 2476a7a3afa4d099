"""Replaying a recording through the engine, with other settings if wanted.

Pure apart from reading the file: the same recording and settings always give
the same frames, episodes and alerts.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .engine import (
    BodyFrame,
    CalibrationError,
    EngineSettings,
    LeanAlerted,
    PostureEngine,
    SlouchAlerted,
    SlouchEnded,
    SlouchStarted,
)
from .engine.events import EngineEvent
from .readings import ImuReading

STILL_WINDOW_S = 1.0
STILL_GYRO_DPS = 8.0
STILL_ACCEL_G = 0.03
TYPICAL_POSTURE_DEG = 25.0


@dataclass
class Analysis:
    rate_hz: float
    calibration: tuple[float, float]
    frame: BodyFrame
    frames: list[dict[str, object]] = field(default_factory=list)
    episodes: list[dict[str, object]] = field(default_factory=list)
    alerts: list[dict[str, object]] = field(default_factory=list)
    events: list[EngineEvent] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "rate_hz": round(self.rate_hz, 3),
            "calibration": {"start_s": self.calibration[0], "end_s": self.calibration[1], **self.frame.as_dict()},
            "frames": self.frames,
            "episodes": self.episodes,
            "alerts": self.alerts,
        }


def sample_rate(readings: Sequence[ImuReading]) -> float:
    steps = [b.t_s - a.t_s for a, b in zip(readings[:2000], readings[1:2001])]
    if not steps:
        raise CalibrationError("the recording needs at least two samples")
    return 1.0 / statistics.median(steps)


def first_still_period(readings: Sequence[ImuReading], rate_hz: float) -> tuple[float, float]:
    """Where to take upright from: the first window of ``STILL_WINDOW_S`` with little
    rotation and acceleration change, near the recording's typical posture.

    A still moment in the middle of a deep bend is not upright; the typical posture
    (the median gravity direction) is. Failing a still window within 25 deg of it,
    the quietest window nearest to it is used.
    """
    width = max(2, int(STILL_WINDOW_S * rate_hz))
    if len(readings) <= width:
        raise CalibrationError("the recording is shorter than the 1 s needed to find upright")
    accel = np.array([r.accel_g for r in readings])
    gyro = np.array([r.gyro_dps if r.gyro_dps is not None else (0.0, 0.0, 0.0) for r in readings])
    unit = accel / np.linalg.norm(accel, axis=1, keepdims=True)
    typical = np.median(unit, axis=0)
    typical /= np.linalg.norm(typical)
    best: tuple[float, int] | None = None
    for start in range(0, len(readings) - width, max(1, width // 4)):
        window = slice(start, start + width)
        g_max = float(np.abs(gyro[window]).max())
        a_spread = float(np.linalg.norm(accel[window].std(axis=0)))
        direction = unit[window].mean(axis=0)
        off_deg = float(np.degrees(np.arccos(np.clip(direction @ typical / np.linalg.norm(direction), -1, 1))))
        if g_max < STILL_GYRO_DPS and a_spread < STILL_ACCEL_G and off_deg < TYPICAL_POSTURE_DEG:
            return readings[start].t_s, readings[start + width - 1].t_s
        badness = g_max / STILL_GYRO_DPS + a_spread / STILL_ACCEL_G + off_deg / 5.0
        if best is None or badness < best[0]:
            best = (badness, start)
    assert best is not None
    start = best[1]
    return readings[start].t_s, readings[start + width - 1].t_s


def calibrate(readings: Sequence[ImuReading], window: tuple[float, float]) -> BodyFrame:
    """Upright from the mean acceleration in ``window``; forward from the recording's
    largest tilt excursions (people bend forward further than any other way)."""
    start, end = window
    inside = [r.accel_g for r in readings if start <= r.t_s <= end]
    if len(inside) < 2:
        raise CalibrationError(f"the calibration window {start:g}:{end:g} s holds no samples")
    up = np.mean(inside, axis=0)
    step = max(1, len(readings) // 20000)
    gravities = np.array([r.accel_g for r in readings[::step]])
    return BodyFrame.from_excursions(up, gravities)


def analyze(
    readings: Sequence[ImuReading],
    settings: EngineSettings = EngineSettings(),
    *,
    calibration: tuple[float, float] | None = None,
    batch: int = 10,
) -> Analysis:
    rate = sample_rate(readings)
    window = calibration or first_still_period(readings, rate)
    frame = calibrate(readings, window)
    engine = PostureEngine(settings, rate_hz=rate, frame=frame)
    result = Analysis(rate, (round(window[0], 3), round(window[1], 3)), frame)
    next_frame_s = readings[0].t_s + 1.0
    for i in range(0, len(readings), batch):
        result.events += engine.process(readings[i : i + batch])
        snap = engine.snapshot
        if snap.t_s >= next_frame_s and snap.flexion_deg is not None:
            next_frame_s += 1.0
            result.frames.append(
                {
                    "t_s": round(snap.t_s, 2),
                    "flexion_deg": round(snap.flexion_deg, 2),
                    "lateral_deg": round(snap.lateral_deg or 0.0, 2),
                    "activity": snap.activity.value,
                    "state": snap.state.value,
                }
            )
    open_start: SlouchStarted | None = None
    for event in result.events:
        if isinstance(event, SlouchStarted):
            open_start = event
        elif isinstance(event, SlouchEnded):
            open_start = None
            result.episodes.append(
                {
                    "start_s": round(event.start_s, 2),
                    "end_s": round(event.end_s, 2),
                    "peak_deg": round(event.peak_deg, 2),
                    "mean_deg": round(event.mean_deg, 2),
                    "alerted": event.alerted,
                }
            )
        elif isinstance(event, SlouchAlerted):
            result.alerts.append({"t_s": round(event.t_s, 2), "kind": "slouch", "angle_deg": round(event.flexion_deg, 2)})
        elif isinstance(event, LeanAlerted):
            result.alerts.append({"t_s": round(event.t_s, 2), "kind": f"lean_{event.side}", "angle_deg": round(event.lateral_deg, 2)})
    if open_start is not None:
        result.episodes.append(
            {"start_s": round(open_start.onset_s, 2), "end_s": None, "peak_deg": None, "mean_deg": None,
             "alerted": engine.detector.alerted}
        )
    return result


def rotation_ranges(readings: Sequence[ImuReading], frame: BodyFrame, start_s: float) -> tuple[float, float]:
    """Left and right rotation range (deg) from ``start_s`` on: the angular rate about
    the trunk axis, bias taken as the phase's median rate, integrated, measured from
    the median heading."""
    up = np.array(frame.up)
    rates = np.array([np.dot(r.gyro_dps, up) for r in readings if r.t_s >= start_s and r.gyro_dps is not None])
    if len(rates) < 2:
        return 0.0, 0.0
    dt = 1.0 / sample_rate(readings)
    angle = np.cumsum(rates - np.median(rates)) * dt
    swing = angle - float(np.median(angle))
    return float(swing.max()), float(-swing.min())
