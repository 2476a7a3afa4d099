"""The engine on real seated postures of 12 people (../shared/data/seated-postures),
calibrated per person as the guided calibration does; and the realdata benchmark."""

from __future__ import annotations

import pytest

from benchmarks.evaluation import SEATED_MUST_ALERT, seated_scores, seated_trials


@pytest.fixture(scope="module")
def trials():
    from tests.conftest import SHARED_DATA

    root = SHARED_DATA / "seated-postures"
    if not root.is_dir():
        pytest.skip(f"real recordings not present at {root}")
    return seated_trials(root)


def test_engine_is_never_below_the_bare_reference(trials):
    scores = seated_scores(trials)
    assert scores["accuracy"] >= scores["reference_accuracy"]
    assert scores["accuracy"] >= 0.95


def test_the_default_threshold_keeps_clear_of_real_upright_and_real_slouches(trials):
    """docs/engine.md, "Thresholds from real people": the default sits in the middle of
    the gap between the largest upright drift and the weakest slouch of 12 people, and
    the clear level stays above every upright trial, so a slouch ends on sitting up."""
    from companion.engine import EngineSettings

    settings = EngineSettings()
    upright = max(t.flexion_deg for t in trials if t.label == "upright")
    weakest_slouch = min(t.flexion_deg for t in trials if t.label == "slouching")
    above_upright = settings.threshold_deg - upright
    below_slouch = weakest_slouch - settings.threshold_deg
    assert above_upright >= 4.0 and below_slouch >= 4.0, (above_upright, below_slouch)
    assert settings.clear_deg > upright


def test_upright_and_recline_never_alert_and_slouches_always_do(trials):
    scores = seated_scores(trials)
    assert scores["upright_alert_rate"] == 0.0
    assert scores["backward_alert_rate"] == 0.0
    assert scores["slouching_alert_rate"] == 1.0
    assert scores["backward_flexion_deg"] < -10  # recline reads backward


def test_side_bends_lean_to_their_side_and_are_not_flexion_only(trials):
    scores = seated_scores(trials)
    assert scores["side_bend_correct_side"] >= 0.9
    assert scores["left_lateral_deg"] < -8 and scores["right_lateral_deg"] > 8


def test_no_slips_on_real_trials(trials):
    assert sum(t.slips for t in trials) == 0


def test_every_scored_label_is_present(trials):
    assert {t.label for t in trials} >= set(SEATED_MUST_ALERT)
    assert len({t.person for t in trials}) == 12


def test_benchmark_prints_the_metrics(trials, monkeypatch):
    from benchmarks import realdata

    # The trials are read once for this module (the fixture, through the same
    # function); the benchmark's own reading would repeat the whole replay.
    read_from = []
    monkeypatch.setattr(realdata, "seated_trials", lambda root: read_from.append(root) or trials)
    names = {m.name: m.value for m in realdata.run()}
    assert [path.name for path in read_from] == ["seated-postures"]
    assert {
        "realdata_seated_accuracy",
        "realdata_seated_reference_accuracy",
        "realdata_seated_slouching_alert_rate",
        "realdata_seated_forward_alert_rate",
        "realdata_seated_upright_alert_rate",
        "realdata_seated_backward_alert_rate",
    } <= set(names)


def test_benchmark_skips_cleanly_without_the_data(tmp_path, monkeypatch):
    from benchmarks import realdata

    monkeypatch.setattr(realdata, "SHARED", tmp_path)
    assert list(realdata.run()) == []
