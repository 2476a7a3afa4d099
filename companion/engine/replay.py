"""One replay: readings through an engine, out come its ticks, episodes and alerts.

``posture analyze``, the benchmarks and the tests all replay readings the same
way, through :func:`replay`, so what they measure is what the live session does:
readings are fed in batches (as notifications arrive), every engine tick is kept,
and the events are folded into slouch episodes and alerts.

Samples that arrive as arrays (a recording read by numpy, a simulated wearer)
are fed as :class:`Samples` chunks through :meth:`PostureEngine.process_arrays`,
whole: no object per sample, and the same ticks and events as readings give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, cast

import numpy as np

from ..readings import ImuReading
from .activity import Activity
from .engine import EngineState, PostureEngine
from .events import (
    DataGap,
    EngineEvent,
    GyroscopeMismatch,
    LeanAlerted,
    SlouchAlerted,
    SlouchEnded,
    SlouchReminded,
    SlouchStarted,
)

#: Readings per ``process`` call: about a notification's worth at 50 Hz.
BATCH = 10


class Samples(Protocol):
    """Consecutive samples as arrays (``companion.recording.Chunk`` is one)."""

    @property
    def t(self) -> np.ndarray: ...  # seconds, (n,)

    @property
    def accel_g(self) -> np.ndarray: ...  # (n, 3)

    @property
    def gyro_dps(self) -> np.ndarray | None: ...  # (n, 3), or None without a gyroscope


@dataclass(frozen=True, slots=True)
class SampleArrays:
    """A :class:`Samples` chunk made from arrays."""

    t: np.ndarray
    accel_g: np.ndarray
    gyro_dps: np.ndarray | None


class Tick(NamedTuple):
    """The engine's view after one tick (0.25 s of sample time), once it has a body frame.

    A named tuple: one is made every tick, at a third of a frozen dataclass's cost."""

    t_s: float
    flexion_deg: float
    lateral_deg: float
    activity: Activity
    state: EngineState


@dataclass(frozen=True, slots=True)
class Episode:
    """A slouch episode; ``end_s`` (and peak, mean) are None while still under way at the end."""

    start_s: float
    end_s: float | None
    peak_deg: float | None
    mean_deg: float | None
    alerted: bool


@dataclass(frozen=True, slots=True)
class Alert:
    t_s: float
    kind: str  # slouch, slouch_reminder, lean_left, lean_right
    angle_deg: float


@dataclass
class Replay:
    events: list[EngineEvent] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    gaps: list[DataGap] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    samples: int = 0


def replay(
    engine: PostureEngine,
    readings: Iterable[Sequence[ImuReading] | Samples] | Sequence[ImuReading] | Samples,
    *,
    batch: int = BATCH,
    ticks: bool = True,
) -> Replay:
    """Feed ``readings`` (one sequence, or an iterable of chunks of readings or of
    :class:`Samples`) to ``engine`` and collect what came out: readings in batches
    of ``batch``, sample arrays a chunk at a time. ``ticks=False`` skips keeping
    the per-tick view (for throughput measurements)."""
    result = Replay()
    chunks: Iterable[Sequence[ImuReading] | Samples]
    if hasattr(readings, "accel_g"):
        chunks = [cast(Samples, readings)]
    elif isinstance(readings, Sequence) and (not readings or isinstance(readings[0], ImuReading)):
        chunks = [cast(Sequence[ImuReading], readings)]
    else:
        chunks = cast(Iterable[Sequence[ImuReading] | Samples], readings)
    previous = engine.tick_listener
    if ticks:
        keep = result.ticks.append

        def on_tick(
            t_s: float, flexion: float | None, lateral: float | None, activity: Activity, state: EngineState
        ) -> None:
            if flexion is not None:
                keep(Tick(t_s, flexion, lateral or 0.0, activity, state))

        engine.tick_listener = on_tick
    process, process_arrays, events = engine.process, engine.process_arrays, result.events
    try:
        for chunk in chunks:
            if isinstance(chunk, Sequence):
                for i in range(0, len(chunk), batch):
                    events += process(chunk[i : i + batch])
                result.samples += len(chunk)
            else:
                events += process_arrays(chunk.t, chunk.accel_g, chunk.gyro_dps)
                result.samples += len(chunk.t)
    finally:
        engine.tick_listener = previous
    _fold(result, engine)
    return result


def _fold(result: Replay, engine: PostureEngine) -> None:
    """Episodes, alerts, gaps and notices from the events, in order."""
    open_start: SlouchStarted | None = None
    for event in result.events:
        match event:
            case SlouchStarted():
                open_start = event
            case SlouchEnded():
                open_start = None
                result.episodes.append(
                    Episode(event.start_s, event.end_s, event.peak_deg, event.mean_deg, event.alerted)
                )
            case SlouchAlerted():
                result.alerts.append(Alert(event.t_s, "slouch", event.flexion_deg))
            case SlouchReminded():
                result.alerts.append(Alert(event.t_s, "slouch_reminder", event.flexion_deg))
            case LeanAlerted():
                result.alerts.append(Alert(event.t_s, f"lean_{event.side}", event.lateral_deg))
            case DataGap():
                result.gaps.append(event)
            case GyroscopeMismatch():
                result.notices.append(event.message)
    if open_start is not None:
        result.episodes.append(Episode(open_start.onset_s, None, None, None, engine.detector.alerted))
