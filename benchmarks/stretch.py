"""Stretch measurement: accuracy against the simulated wearer, and what the real
rotation trials in ../shared/data yield (skipped when the folder is absent)."""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterator
from pathlib import Path

from benchmarks.evaluation import measure_stretch, stretch_script
from companion.analysis import rotation_ranges, upright_only_frame
from companion.coach.stretches import BALANCE_TYPICAL_DEG, CATALOGUE, NOISE_DEG, StretchKind, balance_trend
from companion.recording import read_readings
from companion.sim.wearer import SimulatedWearer

from . import Metric

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "upper-back-trunk-movements"


def _simulated_errors() -> tuple[list[float], list[float]]:
    rotation_errors, extension_errors = [], []
    for seed, (left, right, extension) in enumerate([(45, 40, 8), (30, 50, 12), (55, 35, 6), (40, 40, 10)]):
        for kind in (StretchKind.TRUNK_ROTATION, StretchKind.SHOULDER_SQUEEZE):
            plan = CATALOGUE[kind]
            script = stretch_script(plan, left=left, right=right, extension=extension)
            result = measure_stretch(plan, SimulatedWearer(script, seed=seed))
            if kind is StretchKind.TRUNK_ROTATION:
                rotation_errors += [abs(result.left_deg - left), abs(result.right_deg - right)]
            else:
                extension_errors.append(abs(result.extension_deg - extension))
    return rotation_errors, extension_errors


def run() -> Iterator[Metric]:
    rotation, extension = _simulated_errors()
    yield Metric("stretch_rotation_error_max", max(rotation), "deg", "simulated wearer, each side, goal <= 5")
    yield Metric("stretch_extension_error_max", max(extension), "deg", "simulated wearer, goal <= 3")
    index = SHARED / "trials_index.csv"
    if not index.exists():
        return
    with index.open() as handle:
        trials = [SHARED / row["file"] for row in csv.DictReader(handle) if row["validation_trial_no"]]
    lefts, rights, people = [], [], []
    for path in trials:
        readings = list(read_readings(path))
        start = readings[-1].t_s - (readings[-1].t_s - readings[0].t_s) / 4
        left, right = rotation_ranges(readings, upright_only_frame(readings), start)
        lefts.append(left)
        rights.append(right)
        people.append(path.name.split("_")[1])
    note = f"{len(trials)} real trials (upper back), final rotation phase"
    differences = [abs(a - b) for a, b in zip(lefts, rights)]
    yield Metric("real_rotation_left_median", statistics.median(lefts), "deg", note)
    yield Metric("real_rotation_right_median", statistics.median(rights), "deg", note)
    yield Metric("real_rotation_difference_median", statistics.median(differences), "deg", "left/right difference")
    deciles = statistics.quantiles(differences, n=20, method="inclusive")
    yield Metric("real_rotation_difference_p75", deciles[14], "deg", "left/right difference")
    yield Metric(
        "real_rotation_difference_p90", deciles[17], "deg", f"left/right difference; threshold {BALANCE_TYPICAL_DEG:g}"
    )
    old_flagged = sum(d >= NOISE_DEG for d in differences) / len(differences)
    new_flagged = sum(d >= BALANCE_TYPICAL_DEG for d in differences) / len(differences)
    yield Metric(
        "real_single_checks_beyond_noise", 100 * old_flagged, "%", f"one check, >= {NOISE_DEG:g} deg (the old flag)"
    )
    yield Metric(
        "real_single_checks_beyond_typical", 100 * new_flagged, "%", f"one check, >= {BALANCE_TYPICAL_DEG:g} deg"
    )
    # Each person's trials taken as checks on separate days: how many people the trend rule would mention.
    by_person: dict[str, list[tuple[object, float, float]]] = {}
    for index, (person, left, right) in enumerate(zip(people, lefts, rights)):
        by_person.setdefault(person, []).append((index, left, right))
    trends = [balance_trend(checks) for checks in by_person.values()]
    judged = [t for t in trends if t.median_difference_deg is not None]
    yield Metric(
        "real_people_trend_notable", sum(t.notable for t in judged), "people", f"of {len(judged)} with >= 3 trials"
    )
