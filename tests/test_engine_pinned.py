"""The activity gate, the body frame and the engine settings, with each decision pinned.

Signals here are built independently of the simulated wearer: gate features given
directly, and gravity as pure rotations of a unit vector.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from companion.engine.activity import Activity, ActivityGate, GateSettings
from companion.engine.calibration import MIN_LEAN_DEG, BodyFrame, CalibrationError
from companion.engine.settings import DELAY_CHOICES_S, EngineSettings, SettingError

# -- the activity gate -----------------------------------------------------------------


def test_gate_defaults_are_the_documented_thresholds():
    assert GateSettings() == GateSettings(5.0, 20.0, 0.03, 0.10, 8, 0.6)
    assert ActivityGate().activity is Activity.STILL


@pytest.mark.parametrize(
    ("turn", "spread", "expected"),
    [
        (0.0, 0.0, Activity.STILL),
        (5.0, 0.03, Activity.STILL),  # both thresholds are strict
        (5.01, 0.0, Activity.FIDGETING),
        (0.0, 0.031, Activity.FIDGETING),
        (20.0, 0.0, Activity.FIDGETING),
        (20.01, 0.0, Activity.TRANSITION),
        (100.0, 0.1, Activity.TRANSITION),  # one bouncy tick is no walk
    ],
)
def test_still_fidget_and_transition_thresholds(turn, spread, expected):
    gate = ActivityGate()
    assert gate.update(turn, spread) is expected
    assert gate.activity is expected


def test_walking_needs_the_share_of_bouncy_ticks_in_the_window():
    gate = ActivityGate()
    # 0.6 of 8 ticks: the fifth bouncy tick makes a walk, the fourth does not.
    assert [gate.update(0.0, 0.11) for _ in range(5)] == [Activity.FIDGETING] * 4 + [Activity.WALKING]
    assert gate.update(30.0, 0.0) is Activity.WALKING  # walking outranks a fast turn
    assert gate.update(0.0, 0.0) is Activity.WALKING  # still 5 of the last 8
    assert gate.update(0.0, 0.0) is Activity.WALKING
    assert gate.update(0.0, 0.0) is Activity.STILL  # the first bouncy tick left the window: 4 of 8


def test_an_acceleration_spread_at_the_walking_threshold_is_not_a_bounce():
    gate = ActivityGate()
    assert {gate.update(0.0, 0.10) for _ in range(20)} == {Activity.FIDGETING}


def test_the_walking_window_and_share_follow_the_settings():
    gate = ActivityGate(GateSettings(walking_window=4, walking_share=0.5))
    assert [gate.update(0.0, 0.2) for _ in range(2)] == [Activity.FIDGETING, Activity.WALKING]
    gate = ActivityGate(GateSettings(walking_accel=0.5, fidget_accel=0.2, still_gyro_dps=1.0, transition_gyro_dps=2.0))
    assert gate.update(0.0, 0.4) is Activity.FIDGETING
    assert gate.update(0.0, 0.2) is Activity.STILL
    assert gate.update(1.5, 0.0) is Activity.FIDGETING
    assert gate.update(2.5, 0.0) is Activity.TRANSITION


# -- the body frame --------------------------------------------------------------------


def _rot(axis: str, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return {
        "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


def _gravity(flexion: float, lateral: float) -> np.ndarray:
    """Gravity in body axes (forward x, left y, up z) for a pure forward then sideways tilt."""
    f, lat = math.radians(flexion), math.radians(lateral)
    return np.array([-math.sin(f) * math.cos(lat), math.sin(lat), math.cos(f) * math.cos(lat)])


def test_from_lean_finds_forward_and_left():
    frame = BodyFrame.from_lean(np.array([0.0, 0.0, 2.0]), _gravity(20.0, 0.0) * 0.98)
    assert frame.up == pytest.approx((0.0, 0.0, 1.0))
    assert frame.forward == pytest.approx((1.0, 0.0, 0.0))
    assert frame.left == pytest.approx((0.0, 1.0, 0.0))
    assert all(type(v) is float for v in frame.up + frame.forward + frame.left)


MOUNTINGS = [
    np.eye(3),
    _rot("x", 90) @ _rot("z", 30),
    _rot("y", 170) @ _rot("x", -40),
    _rot("z", 40) @ _rot("x", 25) @ _rot("y", -15),
]


@pytest.mark.parametrize("mounting", MOUNTINGS)
@pytest.mark.parametrize(
    ("flexion", "lateral"), [(0, 0), (25, 0), (-20, 0), (0, 15), (0, -15), (20, 10), (90, 0), (30, -12)]
)
def test_angles_are_read_in_the_body_frame_whatever_the_mounting(mounting, flexion, lateral):
    frame = BodyFrame.from_lean(mounting @ _gravity(0, 0), mounting @ _gravity(15.0, 0))
    got = frame.angles_deg(mounting @ _gravity(flexion, lateral))
    assert got[0] == pytest.approx(
        math.degrees(math.asin(math.sin(math.radians(flexion)) * math.cos(math.radians(lateral)))), abs=1e-6
    )
    assert got[1] == pytest.approx(lateral, abs=1e-6)


def test_angles_are_independent_of_the_gravity_magnitude():
    frame = BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0))
    assert frame.angles_deg(_gravity(20, 10) * 0.5) == pytest.approx(frame.angles_deg(_gravity(20, 10)))


def test_the_minimum_lean_is_eight_degrees():
    assert MIN_LEAN_DEG == 8.0
    up = _gravity(0, 0)
    with pytest.raises(CalibrationError, match="only 8 deg; lean at least 8 deg"):
        BodyFrame.from_lean(up, _gravity(7.9, 0))
    assert BodyFrame.from_lean(up, _gravity(8.01, 0)).forward == pytest.approx((1.0, 0.0, 0.0))


def test_a_lean_identical_to_upright_is_refused_not_a_math_error():
    # For this vector the rounded dot product of its unit vector with itself is
    # above 1 (and with its opposite below -1): the cosine must be clamped.
    up = np.array([0.9034701816518086, 0.09401229776087457, -0.7434992493538084])
    for leaning in (up, up * 3.0, -up):
        with pytest.raises(CalibrationError):
            BodyFrame.from_lean(up, leaning)


def test_a_lean_straight_down_is_refused_as_no_direction():
    up = _gravity(0, 0)
    # 180 deg: the acos is clamped at -1 and the lean has no sideways part.
    with pytest.raises(CalibrationError):
        BodyFrame.from_lean(up, -up * (1 + 1e-12))


def test_no_gravity_reading_cannot_calibrate():
    for bad in (np.zeros(3), np.array([1e-10, 0.0, 0.0])):
        with pytest.raises(CalibrationError, match=r"^no gravity reading to calibrate from$"):
            BodyFrame.from_lean(bad, _gravity(20, 0))
        with pytest.raises(CalibrationError):
            BodyFrame.from_lean(_gravity(0, 0), bad)
    assert BodyFrame.from_lean(np.array([0.0, 0.0, 1e-8]), _gravity(20, 0)).up == pytest.approx((0.0, 0.0, 1.0))
    assert BodyFrame.from_lean(np.array([0.0, 0.0, 1e-9]), _gravity(20, 0)).up == pytest.approx((0.0, 0.0, 1.0))


def test_the_frame_round_trips_through_a_dict_and_json():
    frame = BodyFrame.from_lean(_rot("x", 30) @ _gravity(0, 0), _rot("x", 30) @ _gravity(20, 0))
    data = json.loads(json.dumps(frame.as_dict()))
    assert set(data) == {"up", "forward"}
    again = BodyFrame.from_dict(data)
    assert again.up == pytest.approx(frame.up) and again.forward == pytest.approx(frame.forward)
    assert again.left == pytest.approx(frame.left)


def test_from_dict_normalises_and_squares_up_a_stored_frame():
    frame = BodyFrame.from_dict({"up": [0.0, 0.0, 2.0], "forward": [3.0, 0.0, 1.0]})
    assert frame.up == pytest.approx((0.0, 0.0, 1.0))
    assert frame.forward == pytest.approx((1.0, 0.0, 0.0))
    assert frame.left == pytest.approx((0.0, 1.0, 0.0))


def test_left_is_derived_so_it_is_neither_compared_nor_shown():
    frame = BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0))
    assert "left" not in repr(frame)
    assert frame == BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0))


# -- settings defaults and ranges --------------------------------------------------------


def test_settings_defaults_are_the_documented_ones():
    s = EngineSettings()
    assert (s.threshold_deg, s.delay_s, s.hysteresis_deg, s.clear_hold_s, s.dwell_s) == (10.0, 30.0, 3.0, 2.0, 5.0)
    assert (s.lateral_threshold_deg, s.lateral_hold_s, s.transition_quiet_s, s.renudge_s, s.gap_s) == (
        12.0,
        60.0,
        3.0,
        300.0,
        5.0,
    )
    assert s.clear_deg == 7.0 and s.start_after_s == 5.0
    assert EngineSettings(delay_s=5, dwell_s=10.0).start_after_s == 5.0
    assert DELAY_CHOICES_S == (5, 15, 30, 60, 120)


RANGES = {
    "threshold_deg": (5.0, 40.0),
    "hysteresis_deg": (1.0, 10.0),
    "clear_hold_s": (0.5, 10.0),
    "dwell_s": (1.0, 30.0),
    "lateral_threshold_deg": (5.0, 40.0),
    "lateral_hold_s": (10.0, 600.0),
    "transition_quiet_s": (0.0, 10.0),
    "renudge_s": (60.0, 3600.0),
    "gap_s": (1.0, 60.0),
}


@pytest.mark.parametrize("key", sorted(RANGES))
def test_each_setting_accepts_its_range_inclusive_and_refuses_just_outside(key):
    low, high = RANGES[key]
    extra = {"threshold_deg": 40.0} if key == "hysteresis_deg" else {}
    assert getattr(EngineSettings(**{key: low, **extra}), key) == low
    assert getattr(EngineSettings(**{key: high, **extra}), key) == high
    for bad in (low - 0.01, high + 0.01, "3", None):
        with pytest.raises(SettingError) as err:
            EngineSettings(**{key: bad, **extra})
        assert err.value.key == key and err.value.value == bad
        assert err.value.allowed == f"a number from {low:g} to {high:g}"


def test_the_delay_is_one_of_the_offered_choices():
    for delay in DELAY_CHOICES_S:
        assert EngineSettings(delay_s=delay).delay_s == delay
    for bad in (10, 0, 121):
        with pytest.raises(SettingError) as err:
            EngineSettings(delay_s=bad)
        assert err.value.key == "delay_s" and "5, 15, 30, 60, 120" in err.value.allowed


def test_hysteresis_must_stay_below_the_threshold():
    with pytest.raises(SettingError) as err:
        EngineSettings(threshold_deg=6.0, hysteresis_deg=6.0)
    assert err.value.key == "hysteresis_deg" and "threshold_deg (6)" in err.value.allowed
    EngineSettings(threshold_deg=6.0, hysteresis_deg=5.99)


def test_a_setting_error_names_the_key_the_value_and_the_range():
    with pytest.raises(SettingError, match=r"^threshold_deg = 50 is not allowed: a number from 5 to 40$"):
        EngineSettings(threshold_deg=50)
