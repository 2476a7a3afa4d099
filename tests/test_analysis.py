"""Recording and replaying: the CSV format, posture analyze, and real recordings."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import statistics
import subprocess

import numpy as np
import pytest

from benchmarks.evaluation import wearer_readings
from companion.analysis import analyze
from companion.cli import main
from companion.engine import EngineSettings, SlouchStarted
from companion.recording import RecordingError, read_readings, write_header, write_readings
from companion.sim.wearer import Script, SimulatedWearer


def posture(*args: str) -> subprocess.CompletedProcess[str]:
    """``posture ARGS`` through the entry point, in this process."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
    return subprocess.CompletedProcess(["posture", *args], code, stdout.getvalue(), stderr.getvalue())


def write_recording(path, wearer: SimulatedWearer) -> None:
    with path.open("w", newline="") as out:
        write_header(out)
        for chunk in wearer_readings(wearer):
            write_readings(out, chunk)


def test_recording_round_trip(tmp_path):
    wearer = SimulatedWearer(Script().sit(3), seed=1)
    original = [r for chunk in wearer_readings(wearer) for r in chunk]
    path = tmp_path / "r.csv"
    with path.open("w", newline="") as out:
        write_header(out)
        write_readings(out, original)
    back = list(read_readings(path))
    assert len(back) == len(original)
    for a, b in zip(original, back):
        assert a.t_s == pytest.approx(b.t_s, abs=1e-4)
        assert a.accel_g == pytest.approx(b.accel_g, abs=1e-4)
        assert a.gyro_dps == pytest.approx(b.gyro_dps, abs=1e-3)
    header = next(csv.reader(path.open()))
    assert header == ["t", "ax", "ay", "az", "gx", "gy", "gz"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.02,0,zero,9.8,0,0,0\n", 3),
        ("t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.02,0,0\n", 3),
        ("t,ax,ay,az,gx,gy,gz\n0.1,0,0,9.8,0,0,0\n0.05,0,0,9.8,0,0,0\n", 3),
        ("time,x,y,z\n0,0,0,9.8\n", 1),
    ],
)
def test_malformed_csv_names_the_line(tmp_path, text, line):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingError, match=f"line {line}"):
        list(read_readings(path))
    result = posture("analyze", str(path))
    assert result.returncode == 2
    assert f"line {line}" in result.stderr and "Traceback" not in result.stderr


def test_analyze_json_reports_frames_episodes_and_alerts(tmp_path):
    script = Script().sit(10).sit(20).slump(20, 10, 50).sit(20).lean_back(-15, 40)
    wearer = SimulatedWearer(script, seed=2)
    path = tmp_path / "day.csv"
    write_recording(path, wearer)
    # It bends both ways (a slump, then a recline): forward comes from the slump.
    lean = ("--lean", "45:55")
    result = posture("analyze", str(path), "--json", *lean)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"frames", "episodes", "alerts"}
    frame = data["frames"][0]
    assert set(frame) == {"t_s", "flexion_deg", "lateral_deg", "activity", "state"}
    assert len(data["frames"]) == pytest.approx(wearer.duration_s, abs=3)
    [episode] = data["episodes"]
    [truth] = wearer.episodes(12.0)
    assert episode["start_s"] == pytest.approx(truth.start_s, abs=1.5)
    assert episode["alerted"] is True
    assert episode["peak_deg"] == pytest.approx(20.4, abs=1.5)
    assert [a["kind"] for a in data["alerts"]] == ["slouch"]
    # What-if: a higher threshold sees no slouch, a shorter delay still alerts.
    assert json.loads(posture("analyze", str(path), "--json", "--threshold", "25", *lean).stdout)["episodes"] == []
    quick = json.loads(posture("analyze", str(path), "--json", "--delay", "5", *lean).stdout)
    assert quick["alerts"][0]["t_s"] < data["alerts"][0]["t_s"] - 20


def test_analyze_bad_option_names_it(tmp_path):
    path = tmp_path / "r.csv"
    write_recording(path, SimulatedWearer(Script().sit(3), seed=1))
    result = posture("analyze", str(path), "--delay", "7")
    assert result.returncode == 2
    assert "--delay 7 is not allowed" in result.stderr and "5, 15, 30, 60, 120" in result.stderr


def test_record_simulated_writes_the_documented_format(tmp_path, virtual_time):
    path = tmp_path / "rec.csv"
    result = posture("record", str(path), "--simulate", "--seconds", "3", "--timeout", "0.5")
    assert result.returncode == 0, result.stderr
    readings = list(read_readings(path))
    assert len(readings) >= 50
    from companion.recording import read_metadata

    assert read_metadata(path)["kind"] == "reference"  # analyze judges it as the live session would
    magnitudes = [np.linalg.norm(r.accel_g) for r in readings]
    assert statistics.median(magnitudes) == pytest.approx(1.0, abs=0.05)


def _trials(shared_data):
    """The short scripted trials (the index gives them a trial number); not whole sessions."""
    folder = shared_data / "upper-back-trunk-movements"
    with (folder / "trials_index.csv").open() as index:
        return [folder / row["file"] for row in csv.DictReader(index) if row["validation_trial_no"]]


def test_real_trunk_movements_register_as_flexion_and_lean(shared_data):
    """Three forward bends, three side bends each way, then rotations, per trial."""
    rotation_phase_flexion = []
    for path in _trials(shared_data):
        readings = list(read_readings(path))
        # These trials move almost throughout (no 4 s of stillness, forward bends of a
        # few seconds): analyze needs the windows, as a user would pick them from a plot.
        # Upright: the quietest half second; forward: the deepest tilt
        # from it in the first third, where the protocol has its forward bends.
        t = np.array([r.t_s for r in readings])
        accel = np.array([r.accel_g for r in readings])
        gyro = np.linalg.norm(np.array([r.gyro_dps for r in readings]), axis=1)
        starts = np.arange(t[0], t[-1] - 0.5, 0.1)
        quiet = float(min(starts, key=lambda s: np.sqrt(np.mean(gyro[(t >= s) & (t <= s + 0.5)] ** 2))))
        up = accel[(t >= quiet) & (t <= quiet + 0.5)].mean(axis=0)
        unit = accel / np.linalg.norm(accel, axis=1, keepdims=True)
        tilt = np.degrees(np.arccos(np.clip(unit @ (up / np.linalg.norm(up)), -1, 1)))
        first_third = t <= t[0] + (t[-1] - t[0]) / 3
        deepest = float(t[np.argmax(np.where(first_third, tilt, 0.0))])
        result = analyze(
            readings, EngineSettings(), calibration=(quiet, quiet + 0.5), lean=(deepest - 0.25, deepest + 0.25)
        )
        flexion = np.array([f["flexion_deg"] for f in result.frames])
        lateral = np.array([f["lateral_deg"] for f in result.frames])
        assert flexion.max() > 30, path.name  # forward bends: well beyond the 12 deg threshold
        assert np.abs(lateral).max() > 20, path.name  # side bends read as lateral lean
        assert not any(isinstance(e, SlouchStarted) for e in result.events), path.name
        rotation_phase_flexion.append(float(flexion[-len(flexion) // 4 :].max()))
    # The trials end with trunk rotations: they do not read as forward flexion.
    assert statistics.median(rotation_phase_flexion) < EngineSettings().threshold_deg
