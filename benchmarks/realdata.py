"""The engine on real people: seated postures of 12 wearers, calibrated per person
as the guided calibration does (one upright trial, one forward-bending trial).

Skips (prints nothing) when ../shared/data is absent: the recordings are not part
of the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from benchmarks.evaluation import SEATED_DELAY_S, seated_scores, seated_trials

from . import Metric

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def run() -> Iterator[Metric]:
    root = SHARED / "seated-postures"
    if not root.is_dir():
        return
    trials = seated_trials(root)
    scores = seated_scores(trials)
    if not scores:
        return
    people = len({t.person for t in trials})
    note = f"{people} people, {int(scores['trials'])} trials, slouching+forward must alert, upright+backward must not"
    yield Metric(
        "realdata_seated_accuracy", scores["accuracy"], "ratio", f"goal >= 0.95; {note}; delay {SEATED_DELAY_S:g} s"
    )
    yield Metric(
        "realdata_seated_reference_accuracy",
        scores["reference_accuracy"],
        "ratio",
        "bare reference: mean gravity per trial, elevation along the lean direction > 12 deg",
    )
    for key, value in scores.items():
        if key.endswith("_alert_rate"):
            yield Metric(f"realdata_seated_{key}", value, "ratio")
    for key, value in scores.items():
        if key.endswith("_flexion_deg") or key.endswith("_lateral_deg"):
            yield Metric(f"realdata_seated_{key}", value, "deg", "engine mean over the trial")
    yield Metric(
        "realdata_seated_side_bend_correct_side",
        scores["side_bend_correct_side"],
        "ratio",
        "left and right bends: lateral lean on the labelled side",
    )
    yield Metric("realdata_seated_slips", scores["slips"], "events", "recalibration requests over all trials (goal 0)")
