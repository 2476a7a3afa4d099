"""The engine's array entry point: a chunk of samples as numpy arrays, no object per sample.

:func:`process_arrays` (``PostureEngine.process_arrays``) feeds the filter float32 rows (the bare filter
loop), takes the tick sums from numpy, and while no calibration or gyroscope
self-check needs a decision between ticks only notes the filter's output at each
tick's end; the run of ticks is then decided together (``_decide``): features as
arrays (engine/ticks.py), and one pass in tick order that skips, in one step, the
runs of ticks where nothing can change. The same ticks and events as
``PostureEngine.process`` on the same samples, in any chunking. These functions
share the engine's state (its filter, gate, detector and timers) with its own
per-tick code in engine.py, which they call for the decisions both paths share.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

from ..readings import ImuReading
from .activity import ACTIVITIES, FIDGETING_CODE, STILL_CODE, Activity
from .events import EngineEvent
from .ticks import SLIP_ERROR_DEG, STARTUP_S, TICK_S, directions, spreads, turn_rates_dps

if TYPE_CHECKING:
    from .engine import PostureEngine

_ZERO32 = np.zeros(3, dtype=np.float32)


def _arrays(readings: Sequence[ImuReading]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    t = np.array([r.t_s for r in readings], dtype=float)
    accel = np.array([r.accel_g for r in readings], dtype=float).reshape(-1, 3)
    if any(r.gyro_dps is None for r in readings):
        return t, accel, None
    return t, accel, np.array([r.gyro_dps for r in readings], dtype=float).reshape(-1, 3)


def _next(rows: np.ndarray, start: int, default: int) -> int:
    """The first of the sorted ``rows`` at or after ``start``, or ``default``."""
    k = int(np.searchsorted(rows, start))
    return min(default, int(rows[k])) if k < len(rows) else default


def _last_before(rows: np.ndarray, start: int, stop: int) -> int | None:
    """The last of the sorted ``rows`` in start..stop-1, or None."""
    k = int(np.searchsorted(rows, stop)) - 1
    return int(rows[k]) if k >= 0 and rows[k] >= start else None


def process_arrays(
    engine: PostureEngine, t_s: np.ndarray, accel_g: np.ndarray, gyro_dps: np.ndarray | None = None
) -> list[EngineEvent]:
    """Feed a chunk of samples as arrays: times in seconds (n,), acceleration in g
    (n, 3), angular rate in deg/s (n, 3) or None without a gyroscope.

    The same ticks and events as ``PostureEngine.process`` given the same samples as
    readings, in any chunking, without an object per sample: the per-sample loop
    is the bare filter loop, the tick sums come from numpy, and the decisions of
    the ticks where nothing can change are taken for the whole run at once."""
    t = np.asarray(t_s, dtype=float).reshape(-1)
    accel = np.asarray(accel_g, dtype=float)
    gyro = None if gyro_dps is None else np.asarray(gyro_dps, dtype=float)
    if accel.shape != (len(t), 3) or (gyro is not None and gyro.shape != (len(t), 3)):
        raise ValueError(
            f"expected times (n,), acceleration (n, 3) and angular rate (n, 3) or None; got {t.shape}, "
            f"{accel.shape}, {None if gyro is None else gyro.shape}"
        )
    events: list[EngineEvent] = []
    if not len(t):
        return events
    if engine._first_t is None:
        engine._first_t = float(t[0])
        engine.has_gyro = gyro is not None
        engine._last_sample_t = float(t[0])
        if not engine.has_gyro:
            engine._gyro_check = None  # nothing to check
    # Readings left by process() were not yet checked for gaps: only the full run does.
    unchecked = bool(engine._pending)
    if engine._pending:
        engine._pending_arrays = _join(engine._pending_arrays, _arrays(engine._pending))
        engine._pending = []
    if not unchecked and _short_of_a_tick(engine, t):
        # Nothing to feed or decide yet (samples a few at a time): keep them, as the
        # run below would, without its work.
        engine._pending_arrays = _join(engine._pending_arrays, (t, accel, gyro))
        return events
    if engine._pending_arrays is not None:
        t, accel, gyro = _join(engine._pending_arrays, (t, accel, gyro))
        engine._pending_arrays = None
    steps = np.diff(t, prepend=engine._last_sample_t)
    stops = [*np.flatnonzero(steps > engine.settings.gap_s).tolist(), len(t)]
    start = 0
    for stop in stops:
        while start < stop:  # a gyroscope verdict restarts the run with the corrected rates
            start = _run(engine, t, accel, gyro, start, stop, events)
        if stop < len(t):
            engine._gap(float(t[stop - 1]) if stop else engine._last_sample_t, float(t[stop]), events)
            engine._last_sample_t = float(t[stop])
    return events


def _short_of_a_tick(engine: PostureEngine, t: np.ndarray) -> bool:
    """Whether the samples kept so far and ``t`` together still complete no tick and
    hold no silence longer than ``gap_s`` (those kept by process_arrays were checked
    as they came; the caller does not ask with readings of process() among them)."""
    pending = engine._pending_arrays
    kept = 0 if pending is None else len(pending[0])
    if kept + len(t) >= engine._samples_per_tick - engine._sums[4]:
        return False
    previous = engine._last_sample_t if pending is None else float(pending[0][-1])
    gap_s = engine.settings.gap_s
    if float(t[0]) - previous > gap_s:
        return False
    return len(t) == 1 or not bool((np.diff(t) > gap_s).any())


def _join(
    first: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None,
    second: tuple[np.ndarray, np.ndarray, np.ndarray | None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if first is None:
        return second
    # A chunk without angular rates after one with them: no rates for either.
    gyro = None if first[2] is None or second[2] is None else np.concatenate((first[2], second[2]))
    return np.concatenate((first[0], second[0])), np.concatenate((first[1], second[1])), gyro


def pending_readings(engine: PostureEngine) -> list[ImuReading]:
    """Samples left short of a tick by process_arrays, as readings for process()."""
    assert engine._pending_arrays is not None
    t, accel, gyro = engine._pending_arrays
    engine._pending_arrays = None
    rates = gyro.tolist() if gyro is not None else [None] * len(t)
    return [
        ImuReading(ti, (a[0], a[1], a[2]), None if g is None else (g[0], g[1], g[2]), -1)
        for ti, a, g in zip(t.tolist(), accel.tolist(), rates)
    ]


def _run(
    engine: PostureEngine,
    t: np.ndarray,
    accel: np.ndarray,
    gyro: np.ndarray | None,
    start: int,
    stop: int,
    events: list[EngineEvent],
) -> int:
    """Samples start..stop (no gap inside) through the filter and the ticks they
    complete. Returns where it stopped: ``stop``, or the sample after a tick whose
    gyroscope verdict changes what the filter is fed."""
    per = engine._samples_per_tick
    carried = engine._sums[4]  # a tick begun by process() on its checked path, already fed
    ends = np.arange(per - carried, stop - start + 1, per)
    a = accel[start:stop]
    signs = engine._gyro_signs
    use_gyro = gyro is not None and engine.has_gyro
    if gyro is None or not use_gyro:
        rates = None
    elif signs is not None:
        rates = gyro[start:stop] * np.array(signs)
    else:
        rates = gyro[start:stop]
    if len(ends):
        cut = a[: ends[-1]]
        starts = np.concatenate(([0], ends[:-1]))
        means = np.add.reduceat(cut, starts, axis=0)
        square_means = np.add.reduceat(np.einsum("ij,ij->i", cut, cut), starts)
        if carried:
            means[0] += engine._sums[1:4]
            square_means[0] += engine._sums[0]
            engine._sums = [0.0, 0.0, 0.0, 0.0, 0]
        means /= per
        square_means /= per
    times = t[start:stop]
    # Rows of float32 arrays: what the filter computes in, so it takes them as they
    # are (the same values it would round Python floats to, without the conversion).
    accel32 = a.astype(np.float32)
    rows = zip(rates.astype(np.float32), accel32) if rates is not None else None
    update, bias_update = engine._ahrs.update_no_magnetometer, engine._bias.update
    get_q, get_g, get_states = engine._ahrs.get_quaternion, engine._ahrs.get_gravity, engine._ahrs.get_internal_states
    tick_ends = ends.tolist()

    def feed(pos: int, end: int) -> None:
        """The filter over this tick's samples: the bare loop."""
        if rows is None:
            for x in accel32[pos:end]:
                update(_ZERO32, x)
        else:
            for g, x in islice(rows, end - pos):
                update(bias_update(g), x)

    pos = 0
    first_noted = len(tick_ends)
    for i, end in enumerate(tick_ends):
        if engine._calibration is None and engine._gyro_check is None:
            first_noted = i
            break
        feed(pos, end)
        pos = end
        # A calibration or the gyroscope self-check is under way: decide this tick now.
        check = engine._gyro_check
        if check is not None and use_gyro:
            assert gyro is not None
            x0, y0, z0 = gyro[start + pos - per : start + pos].sum(axis=0).tolist()
            check.add_rates(x0, y0, z0, per)
        mx, my, mz = means[i].tolist()
        engine._tick(float(times[end - 1]), float(square_means[i]), (mx, my, mz), events)
        if engine._gyro_signs is not signs or (use_gyro and not engine.has_gyro):
            engine._last_sample_t = float(times[end - 1])
            return start + end
    if first_noted < len(tick_ends):
        # Nothing decides between ticks from here on: note the filter's output at
        # each tick's end and decide the ticks together.
        quaternions: list[np.ndarray] = []
        gravities: list[np.ndarray] = []
        errors: list[float] = []
        note_q, note_g, note_e = quaternions.append, gravities.append, errors.append
        for end in tick_ends[first_noted:]:
            feed(pos, end)
            pos = end
            note_q(get_q())
            note_g(get_g())
            note_e(get_states().acceleration_error)
        _decide(
            engine,
            times[ends[first_noted:] - 1],
            square_means[first_noted:],
            means[first_noted:],
            np.array(quaternions, dtype=float),
            np.array(gravities, dtype=float),
            np.array(errors, dtype=float),
            events,
        )
    if pos:
        engine._last_sample_t = float(times[pos - 1])
    if stop == len(t):
        if pos < len(times):
            engine._pending_arrays = (times[pos:], a[pos:], None if gyro is None else gyro[start + pos : stop])
    else:
        # The tick a gap cuts short: its samples reach the filter, but make no tick.
        if rows is None:
            for x in accel32[pos:]:
                update(_ZERO32, x)
        else:
            for g, x in rows:
                update(bias_update(g), x)
    return stop


def _decide(
    engine: PostureEngine,
    times: np.ndarray,
    square_means: np.ndarray,
    means: np.ndarray,
    quaternions: np.ndarray,
    gravities: np.ndarray,
    errors: np.ndarray,
    events: list[EngineEvent],
) -> None:
    """What ``PostureEngine._tick`` does, for consecutive ticks with no calibration and no
    gyroscope self-check under way."""
    assert engine._first_t is not None
    listener = engine.tick_listener
    warming = int(np.searchsorted(times - engine._first_t >= STARTUP_S, True))
    if warming:
        # The filter's start-up (see _tick): the orientation is only remembered.
        engine._quaternion = tuple(quaternions[warming - 1].tolist())
        engine._last_tick_t = float(times[warming - 1])
        for t_s in times[:warming].tolist():
            engine._publish(t_s, None, None, Activity.STILL)
        if warming == len(times):
            return
        times, square_means, means = times[warming:], square_means[warming:], means[warming:]
        quaternions, gravities, errors = quaternions[warming:], gravities[warming:], errors[warming:]
    previous = np.vstack((np.array([engine._quaternion]), quaternions[:-1]))
    before = np.concatenate(([np.nan if engine._last_tick_t is None else engine._last_tick_t], times[:-1]))
    turns = turn_rates_dps(quaternions, previous, times, before, TICK_S)
    spread = spreads(square_means, means)
    codes = engine._gate.update_many(turns, spread)
    still = codes == STILL_CODE
    gravity = np.where(still[:, None], means, gravities)
    engine._quaternion = tuple(quaternions[-1].tolist())
    engine._last_tick_t = float(times[-1])
    ts = times.tolist()
    activities = [ACTIVITIES[c] for c in codes.tolist()]
    frame = engine.frame
    if frame is None:
        if listener is not None:
            for t_s, activity in zip(ts, activities):
                engine._gate.activity = activity
                engine._publish(t_s, None, None, activity)
            engine._gate.activity = activities[-1]
        engine._latest = (ts[-1], None, None, activities[-1])
        return
    flexion, lateral = frame.angles_deg_many(gravity)
    s = engine.settings
    calm = still & (flexion <= s.threshold_deg) & (np.abs(lateral) < s.lateral_threshold_deg)
    restless = np.flatnonzero(~calm)  # ticks the detector must see even when idle
    # Ticks that only add to a slouch under way: not moving, above the threshold, no side lean.
    steady = (codes <= FIDGETING_CODE) & (flexion > s.threshold_deg) & (np.abs(lateral) < s.lateral_threshold_deg)
    unsteady = np.flatnonzero(~steady)
    suspect = np.flatnonzero(still & (errors > SLIP_ERROR_DEG))  # ticks the slip check must see
    still_rows = np.flatnonzero(still)
    judge_row = int(np.searchsorted(times, engine._judge_from_s, side="left"))
    unit = directions(means)
    fl, la = flexion.tolist(), lateral.tolist()
    is_still, is_suspect = still.tolist(), (still & (errors > SLIP_ERROR_DEG)).tolist()
    detector = engine.detector
    count = len(ts)
    ref_row: int | None = None  # the latest still tick the slip check takes as its reference

    def skip(i: int, stop: int, slip_on: bool) -> int:
        """Ticks i..stop-1 where the slip check sees gravity agree with the filter
        and the detector has nothing to decide: publish them, move the reference."""
        nonlocal ref_row
        if slip_on:
            engine._slip_ticks = 0
            last_still = _last_before(still_rows, i, stop)
            if last_still is not None:
                ref_row = last_still
        if listener is not None:
            gate = engine._gate
            for j in range(i, stop):
                gate.activity = activities[j]
                engine._publish(ts[j], fl[j], la[j], activities[j])
        return stop

    i = 0
    while i < count:
        slip_on = engine.has_gyro and not engine._needs_recalibration and engine._calibration is None
        judging = not (engine._needs_recalibration or engine._paused) and i >= judge_row
        if not judging or detector.idle:
            stop = count
            if slip_on:
                stop = _next(suspect, i, stop)
            if judging:
                stop = _next(restless, i, stop)
            elif not (engine._needs_recalibration or engine._paused) and i < judge_row:
                stop = min(stop, judge_row)
            if stop > i:
                # Ticks where nothing can change: only the slip check's reference moves.
                i = skip(i, stop, slip_on)
                continue
        limit = detector.steady_limit(ts[i]) if judging else None
        if limit is not None:
            stop = _next(unsteady, i, count)
            if slip_on:
                stop = _next(suspect, i, stop)
            onset, held = limit
            due = np.flatnonzero(times[i:stop] - onset >= held)
            if len(due):
                stop = i + int(due[0])
            if stop > i:
                # A slouch held still: the episode's statistics grow, nothing else moves.
                detector.hold_steady(fl[i:stop])
                i = skip(i, stop, slip_on)
                continue
        t_s, activity = ts[i], activities[i]
        if slip_on:
            if is_suspect[i]:
                if ref_row is not None:
                    engine._still_ref = tuple(unit[ref_row].tolist())
                    ref_row = None
                mx, my, mz = means[i].tolist()
                events += engine._check_slip(t_s, activity, (mx, my, mz), float(errors[i]))
            else:  # what _check_slip does when gravity agrees with the filter
                engine._slip_ticks = 0
                if is_still[i]:
                    ref_row = i
        if not (engine._needs_recalibration or engine._paused) and t_s >= engine._judge_from_s:
            events += detector.update(t_s, fl[i], la[i], activity)
        if listener is not None:
            engine._gate.activity = activity
            engine._publish(t_s, fl[i], la[i], activity)
        i += 1
    if ref_row is not None:
        engine._still_ref = tuple(unit[ref_row].tolist())
    engine._gate.activity = activities[-1]
    engine._latest = (ts[-1], fl[-1], la[-1], activities[-1])
