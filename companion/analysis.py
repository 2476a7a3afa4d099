"""Replaying a recording through the engine, with other settings if wanted.

Pure apart from reading the file: the same recording and settings always give
the same frames, episodes and alerts.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .drivers.base import SensorKind
from .engine import (
    BodyFrame,
    CalibrationError,
    EngineSettings,
    PostureEngine,
)
from .engine.events import EngineEvent
from .engine.replay import Episode, Tick, replay
from .readings import ImuReading
from .recording import Chunk, read_chunks, read_metadata

STILL_GYRO_DPS = 8.0
STILL_ACCEL_G = 0.03
#: A calibration or lean window whose acceleration spreads more than this (about
#: 3 deg of tilt, or jolts) is refused. Turning about the vertical leaves gravity
#: where it is, so the gyroscope is not asked.
MOVING_ACCEL_G = 0.05
UPRIGHT_S = 4  # seconds of stillness for upright, as the guided calibration holds
#: Inferring forward from the data alone (no --lean, no recorded calibration, no
#: sensor prior) needs this much still time bent at least BEND_EVIDENCE_DEG one way,
#: and three times more of it on that side than on the other.
#: The angle is deeper than a chair lets anyone recline, so a long recline (or a
#: long 20 deg slouch) never passes as the evidence for forward.
BEND_EVIDENCE_S = 20
BEND_EVIDENCE_DEG = 30.0
BEND_SIDE_RATIO = 3.0
NOT_WALKING_G = 0.10
#: Forward in sensor axes for sensors whose case fixes how they sit on the back.
MOUNTING_FORWARD = {SensorKind.UPRIGHT_GO: (1.0, 0.0, 0.0)}


@dataclass
class Analysis:
    rate_hz: float
    calibration: tuple[float, float]
    frame: BodyFrame
    forward_from: str = "data"
    frames: list[dict[str, object]] = field(default_factory=list)
    episodes: list[dict[str, object]] = field(default_factory=list)
    alerts: list[dict[str, object]] = field(default_factory=list)
    gaps: list[dict[str, float]] = field(default_factory=list)
    events: list[EngineEvent] = field(default_factory=list)
    samples: int = 0
    duration_s: float = 0.0
    notices: list[str] = field(default_factory=list)

    @property
    def worn_s(self) -> float:
        """Sample time minus the gaps (gap time counts as not worn)."""
        return self.duration_s - sum(g["end_s"] - g["start_s"] for g in self.gaps)

    def as_json(self) -> dict[str, object]:
        return {
            "rate_hz": round(self.rate_hz, 3),
            "calibration": {
                "start_s": self.calibration[0],
                "end_s": self.calibration[1],
                "forward_from": self.forward_from,
                **self.frame.as_dict(),
            },
            "samples": self.samples,
            "duration_s": round(self.duration_s, 3),
            "worn_s": round(self.worn_s, 3),
            "gaps": self.gaps,
            "notices": self.notices,
            "frames": self.frames,
            "episodes": self.episodes,
            "alerts": self.alerts,
        }


Source = Sequence[ImuReading] | Path | str


#: The parsed samples of a recording ``analyze`` keeps between its passes (about two
#: hours at 50 Hz: a parsed sample holds ~80 bytes); a longer recording is parsed
#: again for each pass, in blocks, so memory stays bounded whatever its length.
KEEP_BYTES = 32 * 1024 * 1024


def _held_bytes(chunk: Chunk) -> int:
    """The memory a chunk keeps alive: its arrays are views of the parsed block."""
    roots: dict[int, np.ndarray] = {}
    for view in (chunk.t, chunk.accel_g, chunk.gyro_dps):
        root = view
        while root is not None and isinstance(root.base, np.ndarray):
            root = root.base
        if root is not None:
            roots[id(root)] = root
    return sum(root.nbytes for root in roots.values())


class _Reread:
    """A recording read from the start, chunk by chunk, as often as asked: the chunks
    of the first read that reaches the end are kept when they fit in ``KEEP_BYTES``,
    and later reads take them instead of parsing the file again. A plain file whose
    text alone is larger is not kept at all (its samples would not fit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._kept: list[Chunk] | None = None
        try:
            self._keep = path.suffix == ".gz" or path.stat().st_size <= KEEP_BYTES
        except OSError:
            self._keep = False  # read_chunks names the problem

    def __call__(self) -> Iterator[Chunk]:
        if self._kept is not None:
            yield from self._kept
            return
        kept: list[Chunk] | None = [] if self._keep else None
        size = 0
        for chunk in read_chunks(self.path):
            if kept is not None:
                size += _held_bytes(chunk)
                if size <= KEEP_BYTES:
                    kept.append(chunk)
                else:
                    kept, self._keep = None, False
            yield chunk
        self._kept = kept  # only a read that went to the end gets here


def _chunks(source: Source) -> Callable[[], Iterator[Chunk]]:
    """A way to read the source again from the start, chunk by chunk."""
    if isinstance(source, (str, Path)):
        return _Reread(Path(source))
    readings = list(source)
    if not readings:
        raise CalibrationError("the recording needs at least two samples")
    t = np.array([r.t_s for r in readings])
    accel = np.array([r.accel_g for r in readings], float)
    gyro = (
        None
        if readings[0].gyro_dps is None
        else np.array([r.gyro_dps if r.gyro_dps is not None else (0.0, 0.0, 0.0) for r in readings], float)
    )
    chunk = Chunk(t, accel, gyro, 2)
    return lambda: iter([chunk])


@dataclass
class _Seconds:
    """Per whole second of sample time: mean acceleration, its spread, the largest
    angular rate. Bounded: one row per second whatever the rate."""

    start: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    gyro_max: np.ndarray
    t0: float
    t_end: float
    samples: int
    rate_hz: float

    @property
    def still(self) -> np.ndarray:
        return (self.spread < STILL_ACCEL_G) & (self.gyro_max < STILL_GYRO_DPS)


def _seconds(chunks: Callable[[], Iterator[Chunk]]) -> _Seconds:
    keys: list[np.ndarray] = []
    sums: list[np.ndarray] = []
    t0 = None
    t_end = 0.0
    samples = 0
    steps: list[np.ndarray] = []
    for chunk in chunks():
        if t0 is None:
            t0 = float(chunk.t[0])
        t_end = float(chunk.t[-1])
        samples += len(chunk.t)
        if sum(len(s) for s in steps) < 4000:
            steps.append(np.diff(chunk.t))
        second = np.floor(chunk.t - t0).astype(np.int64)
        gyro = np.abs(chunk.gyro_dps).max(axis=1) if chunk.gyro_dps is not None else np.zeros(len(chunk.t))
        cols = np.column_stack([np.ones(len(second)), chunk.accel_g, chunk.accel_g**2, gyro])
        edges = np.flatnonzero(np.diff(second)) + 1
        starts = np.concatenate(([0], edges))
        block = np.add.reduceat(cols[:, :7], starts, axis=0)
        block_max = np.maximum.reduceat(cols[:, 7], starts)
        block = np.column_stack([block, block_max])
        key = second[starts]
        if keys and keys[-1][-1] == key[0]:
            last = sums[-1][-1]
            last[:7] += block[0, :7]
            last[7] = max(last[7], block[0, 7])
            key, block = key[1:], block[1:]
        if len(key):
            keys.append(key)
            sums.append(block)
    if t0 is None or samples < 2:
        raise CalibrationError("the recording needs at least two samples")
    key = np.concatenate(keys)
    total = np.concatenate(sums)
    n = total[:, :1]
    mean = total[:, 1:4] / n
    var = np.maximum(0.0, total[:, 4:7] / n - mean**2).sum(axis=1)
    step = float(np.median(np.concatenate(steps))) if steps else 0.02
    return _Seconds(key + t0, mean, np.sqrt(var), total[:, 7], t0, t_end, samples, 1.0 / step)


def _window_mean(
    chunks: Callable[[], Iterator[Chunk]], start: float, end: float
) -> tuple[np.ndarray, float, float, int]:
    """Mean acceleration, its spread and the RMS angular rate over a window of samples."""
    total = np.zeros(3)
    square = np.zeros(3)
    gyro_square = 0.0
    n = 0
    for chunk in chunks():
        if chunk.t[-1] < start:
            continue
        if chunk.t[0] > end:
            break
        inside = (chunk.t >= start) & (chunk.t <= end)
        a = chunk.accel_g[inside]
        total += a.sum(axis=0)
        square += (a**2).sum(axis=0)
        if chunk.gyro_dps is not None:
            gyro_square += float((chunk.gyro_dps[inside] ** 2).sum())
        n += int(inside.sum())
    if n == 0:
        return total, 0.0, 0.0, 0
    mean = total / n
    return mean, float(np.sqrt(np.maximum(0.0, square / n - mean**2).sum())), math.sqrt(gyro_square / n), n


def _check_window(what: str, window: tuple[float, float], seconds: _Seconds) -> None:
    start, end = window
    if start < seconds.t0 - 1e-6 or end > seconds.t_end + 1e-6:
        raise CalibrationError(
            f"the {what} window {start:g}:{end:g} s is outside the recording ({seconds.t0:g}-{seconds.t_end:g} s)"
        )


def first_still_period(seconds: _Seconds) -> tuple[float, float]:
    """The first UPRIGHT_S seconds in a row of stillness: `posture record` asks the
    wearer to start sitting upright. Never the recording's typical posture, which
    for someone who slouches most of the time is the slouch."""
    still = seconds.still
    run = 0
    for i, ok in enumerate(still):
        contiguous = i > 0 and seconds.start[i] - seconds.start[i - 1] <= 1.0 + 1e-6
        run = run + 1 if ok and (run == 0 or contiguous) else (1 if ok else 0)
        if run >= UPRIGHT_S:
            first = i - UPRIGHT_S + 1
            return float(seconds.start[first]), float(seconds.start[i] + 1.0)
    raise CalibrationError(f"no {UPRIGHT_S} s of sitting still to take upright from; give --calibrate START:END")


def forward_from_data(up: np.ndarray, seconds: _Seconds, settings: EngineSettings) -> tuple[BodyFrame, str]:
    """Last resort: forward from seconds bent far away from upright, only with enough
    evidence on one side (see BEND_EVIDENCE_*); never from a few samples.

    A recording that never tilts as far as the threshold in any direction needs no
    forward direction: nothing in it can be a slouch, whichever way is forward."""
    up = up / np.linalg.norm(up)
    usable = seconds.spread < NOT_WALKING_G
    g = seconds.mean[usable]
    g = g / np.linalg.norm(g, axis=1, keepdims=True)
    tangent = g - np.outer(g @ up, up)
    tilt = np.degrees(np.arcsin(np.clip(np.linalg.norm(tangent, axis=1), 0.0, 1.0)))
    if len(tilt) == 0 or float(tilt.max()) < settings.clear_deg:
        helper = np.array([1.0, 0.0, 0.0]) if abs(up[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        forward = helper - (helper @ up) * up
        return (
            BodyFrame.from_dict({"up": list(up), "forward": list(forward)}),
            f"not needed (the recording never tilts {settings.clear_deg:g} deg from upright)",
        )
    bent = tilt >= BEND_EVIDENCE_DEG
    hint = "give --lean START:END (a few seconds of leaning forward), or record with `posture record` after calibrating"
    if bent.sum() < BEND_EVIDENCE_S:
        raise CalibrationError(
            f"cannot tell which way is forward: the recording tilts up to {tilt.max():.0f} deg from upright, "
            f"but only {int(bent.sum())} s of it {BEND_EVIDENCE_DEG:g} deg or more "
            f"({BEND_EVIDENCE_S} s needed); {hint}"
        )
    tb = tangent[bent]
    _, vectors = np.linalg.eigh(tb.T @ tb)
    main = vectors[:, -1]
    along = tb @ main
    positive, negative = int((along > 0).sum()), int((along < 0).sum())
    if max(positive, negative) < BEND_SIDE_RATIO * max(1, min(positive, negative)):
        raise CalibrationError(
            f"cannot tell which way is forward: the recording bends far both ways ({positive} s and "
            f"{negative} s); {hint}"
        )
    # Leaning forward moves the up direction toward the wearer's back.
    backward = main if positive > negative else -main
    return BodyFrame.from_dict({"up": list(up), "forward": list(-backward)}), "data"


def _lean_frame(up: np.ndarray, lean: np.ndarray, prior: np.ndarray | None) -> BodyFrame:
    frame = BodyFrame.from_lean(up, lean)
    if prior is not None:
        prior = prior - (prior @ frame.up) * np.array(frame.up)
        if np.linalg.norm(prior) > 1e-6:
            cos = float(np.array(frame.forward) @ prior / np.linalg.norm(prior))
            if cos < -0.5:
                raise CalibrationError("the lean window leans backward, not forward; give a forward lean")
            if cos < 0.5:
                raise CalibrationError("the lean window leans sideways, not forward; give a forward lean")
    return frame


def _upright(
    chunks: Callable[[], Iterator[Chunk]],
    seconds: _Seconds,
    calibration: tuple[float, float] | None,
    lean: tuple[float, float] | None,
    recorded_frame: BodyFrame | None,
) -> tuple[tuple[float, float], np.ndarray]:
    """The calibration window and the upright gravity direction."""
    if calibration is not None:
        _check_window("calibration", calibration, seconds)
        window = calibration
    elif recorded_frame is not None and lean is None:
        window = (seconds.t0, seconds.t0)
    else:
        window = first_still_period(seconds)
    if calibration is not None or recorded_frame is None or lean is not None:
        up, spread, _gyro_rms, n = _window_mean(chunks, *window)
        if n < 2:
            raise CalibrationError(f"the calibration window {window[0]:g}:{window[1]:g} s holds no samples")
        if calibration is not None and spread > MOVING_ACCEL_G:
            raise CalibrationError(
                f"the wearer moves during the calibration window {window[0]:g}:{window[1]:g} s "
                f"(acceleration spread {spread:.2f} g); choose a still, upright moment"
            )
    else:
        up = np.array(recorded_frame.up)

    return window, up


def _forward(
    chunks: Callable[[], Iterator[Chunk]],
    seconds: _Seconds,
    settings: EngineSettings,
    up: np.ndarray,
    lean: tuple[float, float] | None,
    recorded_frame: BodyFrame | None,
    kind: object,
) -> tuple[BodyFrame, str]:
    """The body frame and where its forward direction came from."""
    prior = np.array(MOUNTING_FORWARD[kind]) if kind in MOUNTING_FORWARD else None
    if lean is not None:
        _check_window("lean", lean, seconds)
        leaning, _, _, n = _window_mean(chunks, *lean)
        if n < 2:
            raise CalibrationError(f"the lean window {lean[0]:g}:{lean[1]:g} s holds no samples")
        frame = _lean_frame(up, leaning, prior if recorded_frame is None else np.array(recorded_frame.forward))
        forward_from = "lean"
    elif recorded_frame is not None:
        frame = BodyFrame.from_dict({"up": list(up), "forward": list(recorded_frame.forward)})
        forward_from = "recorded calibration"
    elif prior is not None:
        frame = BodyFrame.from_dict({"up": list(up), "forward": list(prior)})
        forward_from = f"{kind} mounting"
    else:
        frame, forward_from = forward_from_data(up, seconds, settings)

    return frame, forward_from


def analyze(
    source: Source,
    settings: EngineSettings = EngineSettings(),
    *,
    calibration: tuple[float, float] | None = None,
    lean: tuple[float, float] | None = None,
    metadata: dict[str, object] | None = None,
) -> Analysis:
    """Replay a recording (readings, or a file path: streamed in chunks) through the engine.

    Upright: ``calibration`` window, else the recorded calibration, else the first
    still period. Forward: ``lean`` window, else the recorded calibration, else the
    sensor kind's mounting, else the data (only with enough evidence)."""
    chunks = _chunks(source)
    if metadata is None and isinstance(source, (str, Path)):
        metadata = read_metadata(Path(source))
    metadata = metadata or {}
    seconds = _seconds(chunks)
    rate = seconds.rate_hz
    recorded = metadata.get("calibration")
    recorded_frame = BodyFrame.from_dict(recorded) if isinstance(recorded, dict) and "up" in recorded else None
    window, up = _upright(chunks, seconds, calibration, lean, recorded_frame)
    frame, forward_from = _forward(chunks, seconds, settings, up, lean, recorded_frame, metadata.get("kind"))

    engine = PostureEngine(settings, rate_hz=rate, frame=frame)
    result = Analysis(rate, (round(window[0], 3), round(window[1], 3)), frame, forward_from)
    result.samples = seconds.samples
    result.duration_s = seconds.t_end - seconds.t0
    run = replay(engine, chunks())
    result.events = run.events
    result.frames = _per_second(run.ticks, seconds.t0)
    result.episodes = [_episode_json(e) for e in run.episodes]
    result.alerts = [{"t_s": round(a.t_s, 2), "kind": a.kind, "angle_deg": round(a.angle_deg, 2)} for a in run.alerts]
    result.gaps = [{"start_s": round(g.start_s, 3), "end_s": round(g.end_s, 3)} for g in run.gaps]
    result.notices = run.notices
    return result


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _episode_json(e: Episode) -> dict[str, object]:
    return {
        "start_s": round(e.start_s, 2),
        "end_s": _rounded(e.end_s),
        "peak_deg": _rounded(e.peak_deg),
        "mean_deg": _rounded(e.mean_deg),
        "alerted": e.alerted,
    }


def _per_second(ticks: Sequence[Tick], t0: float) -> list[dict[str, object]]:
    """The first tick of each whole second of the recording, as analyze prints them."""
    frames: list[dict[str, object]] = []
    last_second = -1
    for tick in ticks:
        second = math.floor(tick.t_s - t0 + 1e-9)
        if second <= last_second:
            continue
        last_second = second
        frames.append(
            {
                "t_s": round(t0 + second, 2),
                "flexion_deg": round(tick.flexion_deg, 2),
                "lateral_deg": round(tick.lateral_deg, 2),
                "activity": tick.activity.value,
                "state": tick.state.value,
            }
        )
    return frames


def rotation_ranges(readings: Sequence[ImuReading], frame: BodyFrame, start_s: float) -> tuple[float, float]:
    """Left and right rotation range (deg) from ``start_s`` on: the angular rate about
    the trunk axis, bias taken as the phase's median rate, integrated, measured from
    the median heading."""
    up = np.array(frame.up)
    rates = np.array([np.dot(r.gyro_dps, up) for r in readings if r.t_s >= start_s and r.gyro_dps is not None])
    if len(rates) < 2:
        return 0.0, 0.0
    steps = [b.t_s - a.t_s for a, b in itertools.pairwise(readings[:2001])]
    dt = statistics.median(steps) if steps else 0.02
    angle = np.cumsum(rates - np.median(rates)) * dt
    swing = angle - float(np.median(angle))
    return float(swing.max()), float(-swing.min())


def upright_only_frame(source: Source) -> BodyFrame:
    """A frame whose ``up`` is the recording's stillest second (lowest acceleration
    spread) and whose forward is arbitrary: for measures about the trunk axis only,
    such as rotation ranges, which need no forward direction."""
    seconds = _seconds(_chunks(source))
    up = seconds.mean[int(np.argmin(seconds.spread))]
    up = up / np.linalg.norm(up)
    helper = np.array([1.0, 0.0, 0.0]) if abs(up[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    return BodyFrame.from_dict({"up": list(up), "forward": list(helper - (helper @ up) * up)})
