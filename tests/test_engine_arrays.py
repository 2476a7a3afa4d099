"""The array entry point (PostureEngine.process_arrays) against the readings one
(PostureEngine.process): the same samples give the same ticks and events, in any
chunking, on signals built independently of the simulated wearer (pure rotations
of gravity with the matching gyroscope, tests/synthetic.py) and on a simulated day.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import MOUNTINGS, Schedule, signals, upright_frame, write

from benchmarks.evaluation import wearer_arrays
from companion.analysis import _per_second, analyze
from companion.engine import (
    Activity,
    BodyFrame,
    CalibrationCompleted,
    DataGap,
    EngineSettings,
    GyroscopeMismatch,
    LeanAlerted,
    PostureEngine,
    RecalibrationNeeded,
    SlouchAlerted,
    SlouchEnded,
    SlouchReminded,
    SlouchStarted,
)
from companion.engine.replay import SampleArrays, replay
from companion.readings import ImuReading
from companion.recording import read_readings
from companion.sim.wearer import SimulatedWearer, workday

SETTINGS = EngineSettings(delay_s=15)


def _readings(t: np.ndarray, accel: np.ndarray, gyro: np.ndarray | None) -> list[ImuReading]:
    rates = gyro.tolist() if gyro is not None else [None] * len(t)
    return [
        ImuReading(ti, tuple(a), None if g is None else tuple(g), i)
        for i, (ti, a, g) in enumerate(zip(t.tolist(), accel.tolist(), rates))
    ]


def _engine(frame: BodyFrame | None, calibrate: bool = False) -> PostureEngine:
    engine = PostureEngine(SETTINGS, rate_hz=50.0, frame=frame)
    if calibrate:
        engine.start_calibration()
    return engine


def _chunks(t, accel, gyro, size):
    return [
        SampleArrays(t[i : i + size], accel[i : i + size], None if gyro is None else gyro[i : i + size])
        for i in range(0, len(t), size)
    ]


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return all(_close(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


def assert_same(expected, got) -> None:
    """Same events (in order, fields equal up to float rounding) and same ticks."""
    assert [type(e).__name__ for e in got.events] == [type(e).__name__ for e in expected.events]
    for e, g in zip(expected.events, got.events):
        assert _close(e, g), (e, g)
    assert [(t.t_s, t.activity, t.state) for t in got.ticks] == [(t.t_s, t.activity, t.state) for t in expected.ticks]
    assert np.allclose([t.flexion_deg for t in got.ticks], [t.flexion_deg for t in expected.ticks], atol=1e-9)
    assert np.allclose([t.lateral_deg for t in got.ticks], [t.lateral_deg for t in expected.ticks], atol=1e-9)


def _day_schedule() -> Schedule:
    return (
        Schedule()
        .hold(20)
        .hold(60, flexion=25)
        .hold(20)
        .hold(40, flexion=-15)  # leaning back: never a slouch
        .hold(80, lateral=-18)  # a side lean held past lateral_hold_s
        .hold(10, rotation=40, ramp_s=1.0)  # a turn about the trunk axis
        .hold(40, flexion=22)
        .hold(20)
    )


# Every mounting and every chunk size at least once (the chunking does not depend on
# the mounting), one sample at a time on two mountings.
@pytest.mark.parametrize(
    ("mounting", "size"),
    [("straight", 1), ("tilted", 1), ("upside_down", 7), ("turned_90", 1000), ("straight", 10**6), ("tilted", 7)],
)
def test_arrays_give_the_readings_ticks_and_events_in_any_chunking(mounting, size):
    t, accel, gyro = signals(_day_schedule(), MOUNTINGS[mounting], seed=4)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS[mounting]))
    expected = replay(_engine(frame), _readings(t, accel, gyro))
    got = replay(_engine(frame), _chunks(t, accel, gyro, size))
    assert_same(expected, got)
    kinds = {type(e) for e in expected.events}
    assert {SlouchStarted, SlouchAlerted, SlouchEnded, LeanAlerted} <= kinds


@pytest.mark.parametrize(
    ("mounting", "gyro_signs", "action"),
    [
        ("tilted", (1.0, 1.0, 1.0), None),
        ("tilted", (-1.0, 1.0, 1.0), "corrected"),
        ("straight", (-1.0, -1.0, -1.0), "ignored"),
    ],
)
def test_the_gyroscope_self_check_and_its_correction_match(mounting, gyro_signs, action):
    """A sensor whose gyroscope turns the wrong way: the verdict, the corrected (or
    set aside) rates after it and the ticks are the same on both paths."""
    schedule = Schedule()
    for _ in range(8):
        schedule.hold(4, flexion=20, ramp_s=3).hold(4, lateral=15, ramp_s=3).hold(4, ramp_s=3)
    schedule.hold(30, flexion=25).hold(20)
    t, accel, gyro = signals(schedule, MOUNTINGS[mounting], gyro_signs=gyro_signs, seed=5)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS[mounting]))
    expected = replay(_engine(frame), _readings(t, accel, gyro))
    for size in (5, 333, len(t)):
        assert_same(expected, replay(_engine(frame), _chunks(t, accel, gyro, size)))
    assert [e.action for e in expected.events if isinstance(e, GyroscopeMismatch)] == ([action] if action else [])


def test_a_long_slouch_with_reminders_fidgets_and_a_transition_matches():
    """Held past two reminders, with fidgeting, a quick turn and a side lean inside it."""
    schedule = (
        Schedule()
        .hold(20)
        .hold(300, flexion=25)
        .hold(3, flexion=28, rotation=30, ramp_s=0.5)  # a quick turn: a transition
        .hold(100, flexion=25, ramp_s=0.5)
        .hold(90, flexion=24, lateral=16)
        .hold(320, flexion=26)
        .hold(20)
    )
    t, accel, gyro = signals(schedule, MOUNTINGS["tilted"], noise_g=0.02, seed=12)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["tilted"]))
    expected = replay(_engine(frame), _readings(t, accel, gyro))
    for size in (9, 2500, len(t)):
        assert_same(expected, replay(_engine(frame), _chunks(t, accel, gyro, size)))
    assert sum(isinstance(e, SlouchReminded) for e in expected.events) == 2
    assert {t.activity for t in expected.ticks} >= {Activity.STILL, Activity.FIDGETING, Activity.TRANSITION}


def test_accelerometer_only_samples_match():
    t, accel, _ = signals(_day_schedule(), MOUNTINGS["turned_90"], seed=6)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["turned_90"]))
    expected = replay(_engine(frame), _readings(t, accel, None))
    for size in (3, 4096):
        assert_same(expected, replay(_engine(frame), _chunks(t, accel, None, size)))
    assert any(isinstance(e, SlouchAlerted) for e in expected.events)


def test_gaps_match_wherever_they_fall():
    t, accel, gyro = signals(_day_schedule(), MOUNTINGS["straight"], seed=7)
    t = t.copy()
    t[3001:] += 12.0  # a silence in the middle of a tick
    t[7777:] += 40.0  # and one during the side lean
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["straight"]))
    expected = replay(_engine(frame), _readings(t, accel, gyro))
    assert len(expected.gaps) == 2
    for size in (1, 3001, 3002, 50, len(t)):
        assert_same(expected, replay(_engine(frame), _chunks(t, accel, gyro, size)))


def test_several_short_silences_inside_one_tick_are_no_gap_on_either_path():
    """Three 2 s silences within one tick: the tick spans more than gap_s (5 s), no
    single silence does. Neither path reports a gap (the readings path reported one
    of zero length, ending the episode and restarting the filter)."""
    t, accel, gyro = signals(_day_schedule(), MOUNTINGS["straight"], seed=9)
    t = t.copy()
    for i in (3003, 3005, 3007):
        t[i:] += 2.0
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["straight"]))
    expected = replay(_engine(frame), _readings(t, accel, gyro))
    assert not expected.gaps and not [e for e in expected.events if isinstance(e, DataGap)]
    for size in (1, 3004, len(t)):
        assert_same(expected, replay(_engine(frame), _chunks(t, accel, gyro, size)))


def test_the_guided_calibration_matches():
    schedule = Schedule().hold(8).hold(6, flexion=20).hold(20).hold(40, flexion=25).hold(10)
    t, accel, gyro = signals(schedule, MOUNTINGS["tilted"], seed=8)
    expected = replay(_engine(None, calibrate=True), _readings(t, accel, gyro))
    got = replay(_engine(None, calibrate=True), _chunks(t, accel, gyro, 100))
    assert_same(expected, got)
    [done] = [e for e in got.events if isinstance(e, CalibrationCompleted)]
    assert np.allclose(done.frame.up, upright_frame(MOUNTINGS["tilted"])["up"], atol=0.02)


def test_a_sensor_slipping_on_the_back_matches():
    """Gravity turns 30 deg in a quarter second with no matching gyroscope turn."""
    t, accel, gyro = signals(Schedule().hold(60).hold(30), MOUNTINGS["straight"], seed=9)
    accel = accel.copy()
    slip = 40 * 50
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    accel[slip:] = accel[slip:] @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["straight"]))
    expected = replay(_engine(frame), _readings(t, accel, gyro))
    [recal] = [e for e in expected.events if isinstance(e, RecalibrationNeeded)]
    assert 40 < recal.t_s < 43
    for size in (11, 2000, len(t)):
        assert_same(expected, replay(_engine(frame), _chunks(t, accel, gyro, size)))


def test_readings_and_arrays_can_follow_each_other():
    """A tick begun by one entry point is finished by the other."""
    t, accel, gyro = signals(_day_schedule(), MOUNTINGS["upside_down"], seed=10)
    rs = _readings(t, accel, gyro)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["upside_down"]))
    expected = replay(_engine(frame), rs)
    mixed = [rs[:1005], SampleArrays(t[1005:5003], accel[1005:5003], gyro[1005:5003]), rs[5003:9001]]
    mixed.append(SampleArrays(t[9001:], accel[9001:], gyro[9001:]))
    assert_same(expected, replay(_engine(frame), mixed))


def test_a_tick_begun_on_the_readings_checked_path_is_finished_by_arrays():
    """Without a gyroscope, process() feeds each sample at once and keeps the tick's
    partial sums; process_arrays carries them on (and the other way round)."""
    t, accel, _ = signals(_day_schedule(), MOUNTINGS["tilted"], seed=13)
    rs = _readings(t, accel, None)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["tilted"]))
    expected = replay(_engine(frame), rs)
    cuts = [0, 1005, 5003, 5010, 9001, len(t)]
    mixed: list = []
    for k, (a, b) in enumerate(itertools.pairwise(cuts)):
        mixed.append(rs[a:b] if k % 2 == 0 else SampleArrays(t[a:b], accel[a:b], None))
    assert_same(expected, replay(_engine(frame), mixed, batch=7))


def test_a_simulated_day_matches():
    wearer = SimulatedWearer(workday(3, 0.5), seed=3)
    chunks = list(wearer_arrays(wearer))  # the wearer's noise is drawn as it is sampled: sample once
    expected = replay(_engine(None, calibrate=True), [_readings(c.t, c.accel_g, c.gyro_dps) for c in chunks])
    got = replay(_engine(None, calibrate=True), chunks)
    assert_same(expected, got)
    assert expected.samples == got.samples == int(wearer.duration_s * 50)
    assert any(isinstance(e, SlouchAlerted) for e in got.events)


def test_analyze_of_a_file_matches_the_readings_replay(tmp_path):
    t, accel, gyro = signals(_day_schedule(), MOUNTINGS["tilted"], seed=11)
    t = t.copy()
    t[6000:] += 9.0
    frame = upright_frame(MOUNTINGS["tilted"])
    path = write(tmp_path / "day.csv", _readings(t, accel, gyro), {"kind": "reference", "calibration": frame})
    result = analyze(path, SETTINGS)
    readings = list(read_readings(path))  # the file as written (rounded to its 4 decimals)
    expected = replay(PostureEngine(SETTINGS, rate_hz=result.rate_hz, frame=result.frame), readings)
    assert result.frames == _per_second(expected.ticks, readings[0].t_s)
    assert [type(e) for e in result.events] == [type(e) for e in expected.events]
    assert all(_close(a, b) for a, b in zip(result.events, expected.events))
    assert any(isinstance(e, DataGap) for e in result.events)


def _fast_and_full(t, accel, gyro, plan, monkeypatch):
    """The same calls (``plan``: (start, stop, through process()) ) on two engines,
    the second never keeping samples short of a tick at once: (events, engine) each."""
    from companion.engine import arrays

    rs = _readings(t, accel, gyro)
    frame = BodyFrame.from_dict(upright_frame(MOUNTINGS["tilted"]))

    def run() -> tuple[list, PostureEngine]:
        engine = _engine(frame)
        events: list = []
        for a, b, as_readings in plan:
            if as_readings:
                events += engine.process(rs[a:b])
            else:
                events += engine.process_arrays(t[a:b], accel[a:b], None if gyro is None else gyro[a:b])
        return events, engine

    fast = run()
    with monkeypatch.context() as m:
        m.setattr(arrays, "_short_of_a_tick", lambda engine, t: False)
        full = run()
    return fast, full


def _assert_same_state(fast, full) -> None:
    (fast_events, a), (full_events, b) = fast, full
    assert len(fast_events) == len(full_events) and all(_close(x, y) for x, y in zip(fast_events, full_events))
    for name in ("_first_t", "_last_sample_t", "_last_tick_t", "has_gyro", "_sums"):
        assert _close(getattr(a, name), getattr(b, name)), name
    kept = [
        None if p is None else [None if x is None else x.tolist() for x in p]
        for p in (a._pending_arrays, b._pending_arrays)
    ]
    assert kept[0] == kept[1] and a._pending == b._pending


@pytest.mark.parametrize(("seed", "rates"), [(0, True), (1, True), (2, True), (3, False), (4, False)])
def test_samples_kept_short_of_a_tick_leave_the_engine_as_the_full_run_would(seed, rates, monkeypatch):
    """A few samples at a time, with silences, some through process() and some as
    arrays, with or without rates: keeping samples short of a tick at once gives
    the same events and state as the full run over them."""
    rng = np.random.default_rng(seed)
    t, accel, gyro = signals(Schedule().hold(10).hold(20, flexion=25).hold(10), MOUNTINGS["tilted"], seed=seed)
    t = t.copy()
    for i in rng.choice(len(t), 6, replace=False):
        t[i:] += rng.choice([1.0, 8.0])  # silences shorter and longer than gap_s
    cuts = np.cumsum(rng.integers(1, 4, 400))
    cuts = [0, *cuts[cuts < len(t)].tolist(), len(t)]
    plan = [(a, b, rng.random() < 0.3) for a, b in itertools.pairwise(cuts)]
    fast, full = _fast_and_full(t, accel, gyro if rates else None, plan, monkeypatch)
    assert any(isinstance(e, DataGap) for e in full[0])
    _assert_same_state(fast, full)


def test_a_silence_among_readings_left_by_process_is_found_by_the_next_arrays(monkeypatch):
    """process() checks for silences a tick at a time: readings it keeps short of a
    tick may hold one, so a few samples as arrays after them take the full run,
    which reports the gap at once."""
    t, accel, gyro = signals(Schedule().hold(10), MOUNTINGS["tilted"], seed=3)
    t = t.copy()
    t[13:] += 8.0  # between the two readings process() keeps after its first two ticks
    plan = [(0, 12, True), (12, 14, True), (14, 15, False)]
    fast, full = _fast_and_full(t, accel, gyro, plan, monkeypatch)
    assert [type(e) for e in fast[0]] == [DataGap]
    _assert_same_state(fast, full)


def test_bad_shapes_are_refused():
    engine = _engine(None)
    with pytest.raises(ValueError, match="acceleration"):
        engine.process_arrays(np.arange(4.0), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="angular rate"):
        engine.process_arrays(np.arange(4.0), np.zeros((4, 3)), np.zeros((3, 3)))
    assert engine.process_arrays(np.zeros(0), np.zeros((0, 3))) == []
