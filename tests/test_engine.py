"""The posture engine against simulated wearers with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.evaluation import run_wearer, score, tilt_errors, wearer_readings
from companion.engine import (
    DELAY_CHOICES_S,
    Activity,
    CalibrationCompleted,
    CalibrationProgress,
    EngineSettings,
    EngineState,
    LeanAlerted,
    PostureEngine,
    RecalibrationNeeded,
    SettingError,
    SlouchAlerted,
    SlouchEnded,
    SlouchStarted,
)
from companion.engine.replay import replay
from companion.readings import ImuReading
from companion.sim.motion import rotation
from companion.sim.wearer import Script, SimulatedWearer, random_mounting, workday


def events_of(run, kind):
    return [e for e in run.events if isinstance(e, kind)]


MOUNTINGS = {
    "straight": np.eye(3),
    "upside_down": rotation("x", 180),
    "sideways": rotation("z", 90) @ rotation("x", 90),
    "random_1": random_mounting(np.random.default_rng(1)),
    "random_2": random_mounting(np.random.default_rng(2)),
}


@pytest.mark.parametrize("mounting", MOUNTINGS.values(), ids=MOUNTINGS.keys())
def test_flexion_is_accurate_for_any_mounting(mounting):
    script = Script().calibration().sit(20).slump(22, 40, 30).sit(20).reach(30).lean_back(-12, 30)
    script.side_lean(14, 30).glance(12).sit(20)
    wearer = SimulatedWearer(script, mounting=mounting, seed=3)
    run = run_wearer(wearer)
    error, still, moving = tilt_errors(wearer, run)
    assert np.sqrt(np.mean(error[still] ** 2)) <= 1.0
    assert np.sqrt(np.mean(error[moving] ** 2)) <= 3.0
    truth_lateral = wearer.truth(run.times_s)[:, 1]
    leaning = still & (np.abs(truth_lateral) > 10)
    assert np.abs(run.lateral_deg[leaning] - truth_lateral[leaning]).max() < 2.0
    assert np.all(run.lateral_deg[leaning] > 0)  # leaning right reads positive


def test_calibration_waits_while_the_wearer_moves():
    script = Script().walk(12).calibration().sit(5)
    run = run_wearer(SimulatedWearer(script, seed=4))
    progress = events_of(run, CalibrationProgress)
    assert progress[0].moving and "Hold still" in progress[0].message
    [done] = events_of(run, CalibrationCompleted)
    assert done.t_s > 12 + 4  # only after walking stopped and upright was held
    assert any(p.phase == "lean" for p in progress)


@pytest.mark.parametrize("delay_s", DELAY_CHOICES_S)
def test_alert_comes_within_a_second_of_onset_plus_delay(delay_s):
    script = Script().calibration().sit(30).slump(20, 20, delay_s + 40).sit(30)
    wearer = SimulatedWearer(script, seed=5)
    run = run_wearer(wearer, EngineSettings(delay_s=delay_s))
    [truth] = wearer.episodes(EngineSettings().threshold_deg)
    [alert] = events_of(run, SlouchAlerted)
    assert abs(alert.t_s - (truth.start_s + delay_s)) <= 1.0
    [started] = events_of(run, SlouchStarted)
    assert abs(started.onset_s - truth.start_s) <= 1.0


def test_sitting_up_clears_the_slouch_with_peak_and_mean():
    script = Script().calibration().sit(20).slump(20, 10, 60).sit(30)
    wearer = SimulatedWearer(script, seed=6)
    run = run_wearer(wearer)
    [ended] = events_of(run, SlouchEnded)
    [truth] = wearer.episodes(EngineSettings().threshold_deg)
    assert ended.alerted
    assert abs(ended.end_s - truth.end_s) <= 1.5
    assert ended.peak_deg == pytest.approx(20.4, abs=1.0)
    assert 15 < ended.mean_deg < ended.peak_deg
    assert ended.t_s - ended.end_s >= EngineSettings().clear_hold_s  # cleared only after the hold


def test_no_alerts_for_leaning_back_standing_walking_reaching_or_glancing():
    script = Script().calibration().sit(10).lean_back(-20, 300).sit(10)
    for _ in range(5):
        script.reach(40, 4).sit(5).glance(15, 4).sit(5)
    script.stand_up().walk(120).stand(30).sit_down().sit(30)
    script.stand_up().stretch_rotation(50, 50).sit_down().sit(20)
    run = run_wearer(SimulatedWearer(script, seed=7))
    assert events_of(run, SlouchStarted) == []
    assert events_of(run, SlouchAlerted) == []


def test_walking_is_gated_and_shown_as_moving():
    script = Script().calibration().sit(10).stand_up().walk(60).stand(5).sit_down().sit(10)
    wearer = SimulatedWearer(script, seed=8)
    engine = PostureEngine()
    engine.start_calibration()
    states = {}
    for tick in replay(engine, wearer_readings(wearer)).ticks:
        states.setdefault(round(tick.t_s), (tick.activity, tick.state))
    walking = [states[t] for t in range(35, 75)]
    assert sum(a is Activity.WALKING for a, _ in walking) >= 0.9 * len(walking)
    assert all(s is EngineState.MOVING for a, s in walking if a is Activity.WALKING)


def test_side_lean_alerts_after_a_minute_but_not_before():
    script = Script().calibration().sit(10).side_lean(-15, 40).sit(20).side_lean(-15, 90).sit(10)
    run = run_wearer(SimulatedWearer(script, seed=9))
    [lean] = events_of(run, LeanAlerted)
    assert lean.side == "left"
    assert lean.t_s - lean.onset_s == pytest.approx(60.0, abs=0.5)
    assert lean.onset_s > 16 + 10 + 42 + 20  # the second, longer lean


def test_sensor_slip_asks_for_recalibration_instead_of_alerting():
    script = Script().calibration().sit(60).sit(200)
    slip_at = 60.0
    wearer = SimulatedWearer(script, mounting=np.eye(3), slips=[(slip_at, rotation("y", 30))], seed=10)
    run = run_wearer(wearer)
    [recal] = events_of(run, RecalibrationNeeded)
    assert slip_at < recal.t_s < slip_at + 3
    assert "moved" in recal.reason
    assert events_of(run, SlouchStarted) == []


def test_accelerometer_only_readings_still_detect_a_slouch():
    script = Script().calibration().sit(20).slump(22, 20, 60).sit(20)
    wearer = SimulatedWearer(script, seed=11)
    engine = PostureEngine(EngineSettings(delay_s=15), rate_hz=50)
    engine.start_calibration()
    events = []
    for chunk in wearer_readings(wearer):
        no_gyro = [ImuReading(r.t_s, r.accel_g, None, r.seq) for r in chunk]
        events += engine.process(no_gyro)
    assert any(isinstance(e, CalibrationCompleted) for e in events)
    assert any(isinstance(e, SlouchAlerted) for e in events)


def test_replaying_the_same_readings_gives_the_same_events():
    wearer = SimulatedWearer(workday(12, 0.3), seed=12)
    readings = [r for chunk in wearer_readings(wearer) for r in chunk]

    def events(batch: int):
        engine = PostureEngine()
        engine.start_calibration()
        return replay(engine, readings, batch=batch).events

    assert events(10) == events(10)
    assert events(10) == events(7)  # batching does not matter: sample time only


def test_scripted_workday_meets_the_detection_goals():
    wearer = SimulatedWearer(workday(21, 4.0), seed=21)
    run = run_wearer(wearer)
    scores = score(wearer.episodes(EngineSettings().threshold_deg), run.events, 30.0)
    assert scores.true_episodes >= 10
    assert scores.recall >= 0.95
    assert scores.precision >= 0.9
    assert scores.false_alerts <= 1
    assert abs(scores.median_alert_delay_s) <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [({"delay_s": 7}, "delay_s"), ({"threshold_deg": 80}, "threshold_deg"), ({"hysteresis_deg": 0}, "hysteresis_deg")],
)
def test_bad_settings_name_the_key_and_the_range(kwargs, key):
    with pytest.raises(SettingError) as caught:
        EngineSettings(**kwargs)
    assert caught.value.key == key
    assert key in str(caught.value)
    assert "from" in str(caught.value) or "one of" in str(caught.value)


def test_activity_gate_on_real_labelled_walking_and_transitions(shared_data):
    """A phone on the waist (UCI smartphone set): walking is gated, sitting is not walking."""
    from benchmarks.evaluation import gate_by_label

    for path in sorted((shared_data / "waist-activities").glob("*.csv")):
        shares = gate_by_label(path)
        assert shares["WALKING"].get("walking", 0) >= 0.85, path.name
        assert shares["WALKING_UPSTAIRS"].get("walking", 0) >= 0.85, path.name
        for still_label in ("SITTING", "STANDING"):
            assert shares[still_label].get("walking", 0) <= 0.02, (path.name, still_label)
        for change in ("SIT_TO_STAND", "STAND_TO_SIT"):
            assert shares[change].get("still", 0) <= 0.2, (path.name, change)
