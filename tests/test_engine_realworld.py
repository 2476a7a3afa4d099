"""The engine on signals it did not generate: synthetic rotations of gravity with
matching gyro (tests/synthetic.py, independent of the simulated wearer) and the
real recordings in ../shared/data."""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import MOUNTINGS, Schedule, readings, record, upright_frame, write

from companion.analysis import analyze
from companion.cli import main
from companion.engine import (
    BodyFrame,
    CalibrationError,
    DataGap,
    EngineSettings,
    GyroscopeMismatch,
    LeanAlerted,
    PostureEngine,
    SlouchAlerted,
    SlouchEnded,
    SlouchReminded,
    SlouchStarted,
)
from companion.engine.replay import replay
from companion.readings import ImuReading

MOUNT = list(MOUNTINGS.items())


def run(rs, frame, settings=EngineSettings(), rate_hz=50.0):
    engine = PostureEngine(settings, rate_hz=rate_hz, frame=frame)
    return engine, replay(engine, rs).events


def kinds(events, kind):
    return [e for e in events if isinstance(e, kind)]


def cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- analyze: a body frame that cannot silently flip -------------------------------


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_upright_half_hour_without_any_bend_is_analysed_not_refused(tmp_path, capsys, name, mounting):
    path = record(tmp_path / "upright.csv", Schedule().hold(1800, ramp_s=0.5), mounting, rate_hz=10.0)
    code, out, err = cli(capsys, "analyze", str(path), "--calibrate", "5:10", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["episodes"] == [] and data["alerts"] == []


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_a_single_reach_never_sets_forward_backwards(tmp_path, capsys, name, mounting):
    schedule = Schedule().hold(900).hold(10, flexion=30, ramp_s=1).hold(890, ramp_s=1)
    path = record(tmp_path / "reach.csv", schedule, mounting, rate_hz=10.0)
    # From the data alone there is not enough evidence: refused, with what to do.
    code, _, err = cli(capsys, "analyze", str(path), "--calibrate", "5:10")
    assert code == 2
    assert "--lean" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    # With the lean the reach reads forward.
    result = analyze(path, calibration=(5, 10), lean=(904, 909))
    assert max(f["flexion_deg"] for f in result.frames) == pytest.approx(30, abs=1.5)
    assert min(f["flexion_deg"] for f in result.frames) > -2


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_recline_is_never_a_slouch(tmp_path, name, mounting):
    schedule = Schedule().hold(10).hold(8, flexion=20).hold(10).hold(600, flexion=-20).hold(20)
    path = record(tmp_path / "recline.csv", schedule, mounting, rate_hz=25.0)
    result = analyze(path, calibration=(2, 9), lean=(13, 18))
    assert not [a for a in result.alerts if a["kind"].startswith("slouch")]
    recline = [f["flexion_deg"] for f in result.frames if 40 <= f["t_s"] <= 600]
    assert np.median(recline) == pytest.approx(-20, abs=1.0)
    # Without a lean the recline is not evidence for forward either: refused.
    with pytest.raises(CalibrationError, match="--lean"):
        analyze(path, calibration=(2, 9))


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_side_lean_alerts_as_a_lean_not_a_slouch(tmp_path, name, mounting):
    schedule = Schedule().hold(10).hold(8, flexion=20).hold(10).hold(300, lateral=-25).hold(20)
    path = record(tmp_path / "side.csv", schedule, mounting, rate_hz=25.0)
    result = analyze(path, calibration=(2, 9), lean=(13, 18))
    assert [a["kind"] for a in result.alerts] == ["lean_left"]
    assert not [e for e in result.episodes if e["start_s"] > 25]  # the guided-style lean itself is one


def test_upright_does_not_come_from_inside_a_long_slouch(tmp_path):
    mounting = MOUNTINGS["tilted"]
    schedule = Schedule().hold(10, ramp_s=0.5).hold(1500, flexion=22).hold(120)
    path = record(tmp_path / "slouchy.csv", schedule, mounting, rate_hz=10.0)
    result = analyze(path, lean=(100, 110))  # no --calibrate: upright found automatically
    assert result.calibration[0] < 10
    [episode] = result.episodes
    assert episode["alerted"] and episode["start_s"] == pytest.approx(12, abs=2)
    assert episode["end_s"] == pytest.approx(1512, abs=4)
    # Sitting upright at the end is upright, not a slouch relative to the slouch.
    tail = [f["flexion_deg"] for f in result.frames if f["t_s"] > 1520]
    assert max(abs(v) for v in tail) < 2


def test_recorded_calibration_and_sensor_mounting_serve_by_default(tmp_path):
    mounting = MOUNTINGS["upside_down"]
    schedule = Schedule().hold(10).hold(120, flexion=25).hold(30)
    path = record(
        tmp_path / "rec.csv",
        schedule,
        mounting,
        rate_hz=10.0,
        metadata={"kind": "reference", "rate_hz": 10.0, "calibration": upright_frame(mounting)},
    )
    result = analyze(path)
    assert result.forward_from == "recorded calibration"
    assert [a["kind"] for a in result.alerts] == ["slouch"]
    # The Upright GO's case fixes its axes: forward is known from the kind.
    path = record(
        tmp_path / "go.csv", schedule, np.eye(3), rate_hz=10.0, metadata={"kind": "upright_go", "rate_hz": 10.0}
    )
    result = analyze(path)
    assert result.forward_from == "upright_go mounting"
    assert [a["kind"] for a in result.alerts] == ["slouch"]


def test_bad_lean_and_calibration_windows_are_refused_with_one_line(tmp_path, capsys):
    schedule = Schedule().hold(10).hold(20, flexion=20).hold(20, flexion=-20).hold(20, lateral=20).hold(10, flexion=3)
    schedule.hold(10, flexion=0, rotation=0)
    rs = readings(schedule, np.eye(3), rate_hz=20.0)
    # Shake the last ten seconds: a moving calibration window.
    shaken = [
        ImuReading(r.t_s, (r.accel_g[0] + 0.2 * math.sin(40 * r.t_s), r.accel_g[1], r.accel_g[2]), r.gyro_dps, r.seq)
        if r.t_s > 97
        else r
        for r in rs
    ]
    path = write(tmp_path / "go.csv", shaken, {"kind": "upright_go", "rate_hz": 20.0})
    cases = {
        ("--lean", "500:510"): "outside the recording",
        ("--lean", "90:94"): "was only",
        ("--lean", "37:42"): "backward",
        ("--lean", "58:62"): "sideways",
        ("--calibrate", "98:101"): "moves",
    }
    for args, problem in cases.items():
        code, _, err = cli(capsys, "analyze", str(path), *args)
        assert code == 2, args
        assert problem in err and str(path) in err, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# -- frames, gaps -------------------------------------------------------------------


def _with_gap(rs, after_s, gap_s):
    return [r if r.t_s <= after_s else ImuReading(r.t_s + gap_s, r.accel_g, r.gyro_dps, r.seq) for r in rs]


def test_frames_are_one_per_second_also_after_gaps(tmp_path):
    rs = _with_gap(readings(Schedule().hold(280), np.eye(3), rate_hz=50.0), 100.0, 30.0)
    frame = BodyFrame.from_dict(upright_frame(np.eye(3)))
    path = write(tmp_path / "gap.csv", rs, {"calibration": frame.as_dict()})
    result = analyze(path)
    times = [f["t_s"] for f in result.frames]
    assert len(times) == len(set(times))
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    assert all(float(t).is_integer() for t in times)
    assert len(times) == pytest.approx(result.worn_s, abs=8)  # filter start-up after each gap
    assert result.gaps == [{"start_s": pytest.approx(100.0, abs=0.05), "end_s": pytest.approx(130.0, abs=0.05)}]
    assert result.worn_s == pytest.approx(result.duration_s - 30.0, abs=0.1)


def test_a_gap_ends_the_episode_and_restarts_the_hold_timer():
    schedule = Schedule().hold(10, ramp_s=0.5).hold(25, flexion=25, ramp_s=0.5).hold(10, flexion=25, ramp_s=0.0)
    rs = readings(schedule, np.eye(3))
    rs = _with_gap(rs, 35.5, 600.0)
    _, events = run(rs, BodyFrame.from_dict(upright_frame(np.eye(3))))
    assert not kinds(events, SlouchAlerted)  # 25 s + 10 s never add up to the 30 s delay
    [gap] = kinds(events, DataGap)
    assert gap.duration_s == pytest.approx(600.0, abs=0.1)
    first = kinds(events, SlouchEnded)[0]
    assert first.end_s == pytest.approx(gap.start_s, abs=0.05)
    assert first.end_s - first.start_s < 30


# -- the sensor against itself --------------------------------------------------------


def _movements() -> Schedule:
    schedule = Schedule()
    for _ in range(6):
        schedule.hold(3).hold(3, flexion=20, ramp_s=3).hold(2, lateral=10, ramp_s=2)
    return schedule.hold(5).hold(120, flexion=25, ramp_s=4).hold(10)


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_a_gyroscope_turning_the_wrong_way_is_caught_and_posture_stays_right(name, mounting):
    rs = readings(_movements(), mounting, gyro_signs=(-1.0, -1.0, -1.0))
    _engine, events = run(rs, BodyFrame.from_dict(upright_frame(mounting)))
    [mismatch] = kinds(events, GyroscopeMismatch)
    assert mismatch.t_s < 60 and mismatch.action in ("corrected", "ignored")
    assert [type(e) for e in events].count(GyroscopeMismatch) == 1  # told once
    [alert] = kinds(events, SlouchAlerted)
    assert alert.flexion_deg == pytest.approx(25, abs=1.5)


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_a_sound_gyroscope_is_left_alone(name, mounting):
    _, events = run(readings(_movements(), mounting), BodyFrame.from_dict(upright_frame(mounting)))
    assert not kinds(events, GyroscopeMismatch)


def test_slips_stay_under_one_per_eight_hours_on_real_continuous_wear(shared_data):
    from benchmarks.evaluation import slips_in_recordings

    paths = [
        p
        for folder in ("upper-back-trunk-movements", "waist-activities", "seated-postures")
        for p in sorted((shared_data / folder).glob("*.csv*"))
        if "index" not in p.name
    ]
    slips, hours = slips_in_recordings(paths)
    assert hours > 3
    assert slips / hours < 1 / 8


def test_real_sound_gyroscopes_are_not_flagged(shared_data):
    from companion.recording import read_chunks

    for folder in ("upper-back-trunk-movements", "waist-activities"):
        for path in sorted((shared_data / folder).glob("*.csv")):
            if "index" in path.name:
                continue
            _, events = run(read_chunks(path), BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)))
            assert not kinds(events, GyroscopeMismatch), path.name


# -- a slouch that lasts --------------------------------------------------------------


def test_an_hour_of_slouching_is_nudged_again_every_five_minutes():
    schedule = Schedule().hold(10).hold(3600, flexion=22).hold(10)
    rs = readings(schedule, MOUNTINGS["tilted"], rate_hz=10.0, noise_dps=0.05)
    _, events = run(rs, BodyFrame.from_dict(upright_frame(MOUNTINGS["tilted"])), rate_hz=10.0)
    [alert] = kinds(events, SlouchAlerted)
    reminders = kinds(events, SlouchReminded)
    assert len(reminders) == ((3600 - 30) // 300)
    gaps = np.diff([alert.t_s] + [r.t_s for r in reminders])
    assert np.allclose(gaps, 300.0, atol=0.5)
    assert [r.count for r in reminders] == list(range(1, len(reminders) + 1))


def test_reminders_reach_the_wearer_within_the_alert_budget():
    from datetime import datetime, timedelta

    from companion.live import LiveSession
    from companion.settings import Settings

    now = [datetime(2026, 3, 2, 10, 0)]
    session = LiveSession(
        Settings(), rate_hz=10.0, frame=BodyFrame.from_dict(upright_frame(np.eye(3))), clock=lambda: now[0]
    )
    rs = readings(Schedule().hold(10).hold(1900, flexion=22), np.eye(3), rate_hz=10.0)
    nudges = []
    for i in range(0, len(rs), 10):
        now[0] = datetime(2026, 3, 2, 10, 0) + timedelta(seconds=rs[i].t_s)
        nudges += [n.kind for n in session.feed(rs[i : i + 10]).nudges]
    slouch_like = [k for k in nudges if k in ("slouch", "stretch")]
    assert len(slouch_like) >= 2
    assert len(slouch_like) + len(session.suppressed) >= 1 + 6


# -- the filter's recovery ------------------------------------------------------------


@pytest.mark.parametrize("rate_hz", [15.0, 50.0, 100.0])
def test_a_sustained_accelerometer_disagreement_is_resolved_within_ten_seconds(rate_hz):
    """Gravity moves 30 deg with no turn on the gyroscope (the sensor slid): the
    filter must follow within 10 s of sample time, not after minutes."""
    n = int(60 * rate_hz)
    t = np.arange(n) / rate_hz
    tilted = np.array([math.sin(math.radians(30)), 0.0, math.cos(math.radians(30))])
    engine = PostureEngine(rate_hz=rate_hz, frame=BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)))
    jump_s = 20.0
    resolved_s = None
    for i in range(0, n, 5):
        batch = [
            ImuReading(float(ti), tuple(tilted) if ti >= jump_s else (0.0, 0.0, 1.0), (0.0, 0.0, 0.0), k)
            for k, ti in zip(range(i, i + 5), t[i : i + 5])
        ]
        engine.process(batch)
        g = np.array(engine._ahrs.get_gravity())
        # Followed: within half the rejection threshold (10 deg) of the accelerometer.
        if (
            batch[-1].t_s > jump_s
            and resolved_s is None
            and math.degrees(math.acos(min(1.0, float(g @ tilted) / np.linalg.norm(g)))) < 5.0
        ):
            resolved_s = batch[-1].t_s - jump_s
    assert resolved_s is not None and resolved_s <= 10.0


# -- retuning keeps state ---------------------------------------------------------------


def test_set_rate_keeps_a_calibration_in_progress():
    from datetime import datetime

    from companion.live import LiveSession
    from companion.settings import Settings

    session = LiveSession(Settings(), rate_hz=50.0, clock=lambda: datetime(2026, 11, 2, 9))
    session.engine.start_calibration()
    rs = readings(Schedule().hold(10).hold(6, flexion=20).hold(10), MOUNTINGS["tilted"], rate_hz=15.0)
    session.feed(rs[:60])  # four seconds at the default rate, as before the rate is known
    assert session.engine.calibration_status() is not None
    session.set_rate(15.0)
    events = []
    for i in range(60, len(rs), 5):
        events += session.feed(rs[i : i + 5]).events
    assert session.engine.frame is not None
    assert session.engine.rate_hz == 15.0


# -- guided calibration end to end through the link --------------------------------


@pytest.mark.parametrize("kind", ["reference", "witmotion", "upright", "microbit"])
def test_guided_calibration_completes_through_the_link_on_every_sensor_kind(kind):
    """The live session starts at 50 Hz and learns the sensor's rate on connection;
    the calibration started before must still complete (Upright GO and micro:bit
    run at ~15 Hz)."""
    from datetime import datetime

    from companion.engine import CalibrationCompleted
    from companion.link import ReadingsReceived, SensorConnected
    from companion.live import LiveSession
    from companion.settings import Settings
    from companion.sim.clock import run_virtual
    from companion.sim.wearer import Script, SimulatedWearer
    from companion.sim.world import ALL_KINDS, simulated_radio

    factory = {cls.__module__.rsplit(".", 1)[-1]: cls for cls in ALL_KINDS}[kind]

    async def main():
        wearer = SimulatedWearer(Script().sit(3).calibration().sit(20), seed=4)
        session = LiveSession(Settings(), clock=lambda: datetime(2026, 11, 2, 9))
        session.engine.start_calibration()
        completed = []
        rate = None
        async with simulated_radio(lambda radio: factory(radio, motion=wearer)) as (radio, _):
            from benchmarks.sessions import link_session

            async with link_session(radio) as link:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 40.0
                while loop.time() < deadline and not completed:
                    event = await asyncio.wait_for(link.link.events.get(), 10.0)
                    if isinstance(event, SensorConnected):
                        rate = event.rate_hz
                        if rate:
                            session.set_rate(rate)
                    elif isinstance(event, ReadingsReceived):
                        update = session.feed(event.readings)
                        completed += [e for e in update.events if isinstance(e, CalibrationCompleted)]
        return completed, rate, session

    import asyncio

    completed, rate, session = run_virtual(main())
    assert completed, f"calibration never completed on {kind} at {rate} Hz"
    assert session.engine.frame is not None
    if rate:
        assert session.engine.rate_hz == pytest.approx(rate)


def test_a_gap_in_the_live_session_is_passed_on_and_no_alert_fires_after_it():
    from datetime import datetime

    from companion.live import LiveSession
    from companion.settings import Settings

    session = LiveSession(
        Settings(), frame=BodyFrame.from_dict(upright_frame(np.eye(3))), clock=lambda: datetime(2026, 3, 2, 10, 0)
    )
    schedule = Schedule().hold(10, ramp_s=0.5).hold(25, flexion=25, ramp_s=0.5).hold(10, flexion=25, ramp_s=0.0)
    rs = _with_gap(readings(schedule, np.eye(3)), 35.5, 600.0)
    events, nudges = [], []
    for i in range(0, len(rs), 10):
        update = session.feed(rs[i : i + 10])
        events += update.events
        nudges += update.nudges
    assert len(kinds(events, DataGap)) == 1
    assert not [n for n in nudges if n.kind in ("slouch", "stretch")]


@pytest.mark.parametrize(("name", "mounting"), MOUNT)
def test_rotation_and_reaching_are_neither_slouch_nor_lean(name, mounting):
    schedule = Schedule().hold(10).hold(90, rotation=40).hold(60, rotation=-40).hold(5)
    for _ in range(8):  # reach for something on the desk and come back
        schedule.hold(2, flexion=35, ramp_s=1.0).hold(6, ramp_s=1.0)
    _engine, events = run(readings(schedule, mounting), BodyFrame.from_dict(upright_frame(mounting)))
    assert not kinds(events, SlouchAlerted) and not kinds(events, LeanAlerted)
    assert not kinds(events, SlouchStarted)
