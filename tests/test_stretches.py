"""Guided stretches measured by the sensor, against a simulated wearer doing them."""

from __future__ import annotations

import csv
import statistics

import pytest

from benchmarks.evaluation import measure_stretch, stretch_script
from companion.coach.stretches import BALANCE_PLAN, CATALOGUE, StretchKind, StretchPlan
from companion.recording import read_readings
from companion.sim.wearer import SimulatedWearer


def measure(plan: StretchPlan, script, seed: int = 1):
    return measure_stretch(plan, SimulatedWearer(script, seed=seed))


@pytest.mark.parametrize(("left", "right"), [(45, 40), (30, 50), (55, 55)])
def test_rotation_range_each_side_within_5_deg(left, right):
    plan = CATALOGUE[StretchKind.TRUNK_ROTATION]
    result = measure(plan, stretch_script(plan, left=left, right=right))
    assert result.left_deg == pytest.approx(left, abs=5)
    assert result.right_deg == pytest.approx(right, abs=5)
    assert result.seen_by_sensor


@pytest.mark.parametrize("kind", [StretchKind.SHOULDER_SQUEEZE, StretchKind.OVERHEAD_SQUEEZE])
@pytest.mark.parametrize("extension", [6, 12])
def test_extension_within_3_deg(kind, extension):
    plan = CATALOGUE[kind]
    result = measure(plan, stretch_script(plan, extension=extension))
    assert result.extension_deg == pytest.approx(extension, abs=3)
    assert result.seen_by_sensor


@pytest.mark.parametrize("kind", list(CATALOGUE))
def test_a_wearer_who_does_nothing_is_not_credited(kind):
    plan = CATALOGUE[kind]
    result = measure(plan, stretch_script(plan, does_nothing=True))
    assert not result.seen_by_sensor


def test_balance_check_reports_both_sides_and_resting_lean():
    result = measure(BALANCE_PLAN, stretch_script(BALANCE_PLAN, left=48, right=38, lateral_rest=4.0))
    assert result.left_deg == pytest.approx(48, abs=5)
    assert result.right_deg == pytest.approx(38, abs=5)
    assert result.lateral_rest_deg == pytest.approx(4.0, abs=1.5)
    assert "further to the left" in result.balance_text()
    small = measure(BALANCE_PLAN, stretch_script(BALANCE_PLAN, left=45, right=43))
    assert "within measurement noise" in small.balance_text()


def test_catalogue_follows_the_guidance():
    rotation = CATALOGUE[StretchKind.TRUNK_ROTATION]
    assert "never to pain" in rotation.summary and "arms by your sides" in rotation.tender_variant
    assert "above your head" in " ".join(s.text for s in CATALOGUE[StretchKind.OVERHEAD_SQUEEZE].steps)
    assert all(plan.duration_s < 90 for plan in CATALOGUE.values())


def rotation_ranges(path) -> tuple[float, float]:
    """Left and right range of the trial's rotation phase (its last quarter)."""
    from companion.analysis import rotation_ranges as ranges
    from companion.analysis import upright_only_frame

    readings = list(read_readings(path))
    start = readings[-1].t_s - (readings[-1].t_s - readings[0].t_s) / 4
    return ranges(readings, upright_only_frame(readings), start)


def test_real_rotation_trials_give_left_and_right_ranges(shared_data):
    folder = shared_data / "upper-back-trunk-movements"
    with (folder / "trials_index.csv").open() as index:
        trials = [folder / row["file"] for row in csv.DictReader(index) if row["validation_trial_no"]]
    ranges = [rotation_ranges(path) for path in trials]
    lefts = [left for left, _ in ranges]
    rights = [right for _, right in ranges]
    assert 15 < statistics.median(lefts) < 90
    assert 15 < statistics.median(rights) < 90


def test_one_lookup_names_the_stretches_for_every_owner():
    from companion.coach.stretches import PLANS_BY_NAME, plan_named

    assert plan_named("trunk_rotation") is PLANS_BY_NAME["trunk_rotation"]
    with pytest.raises(ValueError, match="unknown stretch 'cartwheel'; known: ") as caught:
        plan_named("cartwheel")
    assert str(caught.value).endswith(", ".join(sorted(PLANS_BY_NAME)))
