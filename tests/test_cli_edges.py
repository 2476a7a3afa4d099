"""The CLI's rough edges: record's file handling and metadata, Ctrl-C summaries,
output piped into ``head``, connecting without waiting out the scan, the scan
table with long names, analyze's per-minute summary.

In-process ``companion.cli.main`` on the virtual clock, except one subprocess for a
real closed pipe.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import MOUNTINGS, Schedule, record, upright_frame

from companion import cli
from companion.link import FoundSensor
from companion.sim.clock import run_virtual


def posture(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _run_with(monkeypatch, before):
    """asyncio.run on the virtual clock, with ``before(loop)`` called first in the loop."""

    async def wrapped(main):
        before(asyncio.get_running_loop())
        return await main

    monkeypatch.setattr(asyncio, "run", lambda main: run_virtual(wrapped(main)))


@pytest.fixture(autouse=True)
def ctrl_c_reaches_python():
    """A suite started as a background job of a shell without job control inherits
    SIGINT ignored (POSIX), and then a raised SIGINT never arrived: the stream ran on
    for good. A person's Ctrl-C reaches posture, so these tests give SIGINT Python's
    own handler, and put back what was there."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def ctrl_c_after(monkeypatch, seconds: float) -> None:
    """Deliver a real SIGINT after ``seconds`` of virtual time, as Ctrl-C would."""
    _run_with(monkeypatch, lambda loop: loop.call_later(seconds, signal.raise_signal, signal.SIGINT))


def elapsed_virtual(monkeypatch) -> list[float]:
    """Virtual seconds each asyncio.run took, appended when it ends."""
    took: list[float] = []

    async def timed(main):
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            return await main
        finally:
            took.append(loop.time() - start)

    monkeypatch.setattr(asyncio, "run", lambda main: run_virtual(timed(main)))
    return took


# --- record: the output file ------------------------------------------------------


def test_record_refuses_an_existing_file_without_force(capsys, virtual_time, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("precious\n")
    code, _out, err = posture(capsys, "record", str(path), "--simulate", "--seconds", "1", "--timeout", "0.5")
    assert code == 2
    assert err.splitlines() == [f"posture: {path} exists; add --force to replace it"]
    assert path.read_text() == "precious\n"


def test_record_force_replaces_an_existing_file(capsys, virtual_time, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("old\n")
    code, _, err = posture(capsys, "record", str(path), "--force", "--simulate", "--seconds", "1", "--timeout", "0.5")
    assert code == 0, err
    assert "old" not in path.read_text() and path.read_text().count("\n") > 40


def test_record_leaves_no_file_when_no_sensor_is_found(capsys, virtual_time, tmp_path):
    path = tmp_path / "never.csv"
    code, _, err = posture(
        capsys, "record", str(path), "--simulate", "--address", "AA:BB:CC:DD:EE:FF", "--timeout", "0.5"
    )
    assert code == 1
    assert "No sensor matching --address AA:BB:CC:DD:EE:FF" in err
    assert not path.exists()


@pytest.mark.parametrize("kind, rate_hz", [("reference", 50.0), ("upright_go", 15.0)])
def test_record_metadata_carries_the_sensors_reported_rate(capsys, virtual_time, tmp_path, kind, rate_hz):
    path = tmp_path / "rec.csv"
    code, _, err = posture(
        capsys, "record", str(path), "--simulate", "--kind", kind, "--seconds", "2", "--timeout", "0.5"
    )
    assert code == 0, err
    first = path.read_text().splitlines()[0]
    assert first.startswith("# posture-recording ")
    metadata = json.loads(first.split(" ", 2)[2])
    assert metadata["kind"] == kind
    assert metadata["rate_hz"] == pytest.approx(rate_hz)


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_record_into_a_folder_says_so_with_or_without_force(capsys, tmp_path, force):
    code, _, err = posture(capsys, "record", str(tmp_path), *force, "--simulate", "--timeout", "0.5")
    assert code == 2
    assert err == f"posture: {tmp_path} is a folder; name a file in it, such as {tmp_path / 'recording.csv'}\n"


@pytest.mark.parametrize("kind", ["reference", "witmotion", "upright_go", "microbit"])
def test_a_simulated_recording_analyzes_with_its_wearers_calibration(capsys, virtual_time, tmp_path, kind):
    """`record --simulate` then `analyze`, as a new user tries it: the recording says
    how the simulated sensor sits, so analyze needs no --lean and reads the wearer's
    true tilt."""
    import numpy as np

    from companion.sim.world import demo_wearer

    path = tmp_path / "rec.csv"
    code, _, err = posture(
        capsys, "record", str(path), "--simulate", "--kind", kind, "--seconds", "15", "--timeout", "0.5"
    )
    assert code == 0, err
    fixed_case = kind == "upright_go"  # reports in its own frame: forward is its case's
    assert ("with the sensor's calibration" in err) != fixed_case
    code, out, err = posture(capsys, "analyze", str(path), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["calibration"]["forward_from"] == ("upright_go mounting" if fixed_case else "recorded calibration")
    frames = result["frames"]
    truth = demo_wearer().truth(np.array([f["t_s"] for f in frames]))
    flexion = np.array([f["flexion_deg"] for f in frames])
    assert np.ptp(truth[:, 0]) > 10  # the wearer moves: a wrong frame would show
    assert np.median(np.abs(flexion - truth[:, 0])) < 2.0
    code, out, _ = posture(capsys, "analyze", str(path))
    assert ("upright and forward from the recorded calibration" in out) != fixed_case


# --- Ctrl-C ---------------------------------------------------------------------------


def test_ctrl_c_during_stream_still_prints_the_summary(capsys, monkeypatch):
    ctrl_c_after(monkeypatch, 3.0)
    code, out, err = posture(capsys, "stream", "--simulate", "--timeout", "0.5")
    assert code == 130
    summary = out.splitlines()[-1]
    assert summary.startswith("received ") and ", lost 0," in summary
    received = int(summary.split()[1].rstrip(","))
    assert received == sum(1 for line in out.splitlines() if line.endswith("g") or "gyro" in line) > 50
    assert "Traceback" not in err


def test_ctrl_c_in_the_turn_an_event_arrives_still_stops_the_stream(capsys, monkeypatch):
    """The worst moment for Ctrl-C: the link hands the stream an event in the same
    turn. On Python 3.11 asyncio.wait_for then returned the event and dropped the
    cancellation, and the stream went on for good."""
    from companion import link as link_module

    class CtrlCOnTheTwentiethEvent(asyncio.Queue):
        put = 0

        def put_nowait(self, item) -> None:
            super().put_nowait(item)
            self.put += 1
            if self.put == 20:
                signal.raise_signal(signal.SIGINT)  # the runner cancels the command's task now

    real_init = link_module.SensorLink.__init__

    def init(self, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        self.events = CtrlCOnTheTwentiethEvent()

    monkeypatch.setattr(link_module.SensorLink, "__init__", init)
    _run_with(monkeypatch, lambda loop: loop.call_later(120.0, signal.raise_signal, signal.SIGINT))  # a second
    code, out, _ = posture(capsys, "stream", "--simulate", "--timeout", "0.5", "--seconds", "600")
    assert code == 130
    received = int(out.splitlines()[-1].split()[1].rstrip(","))
    assert received < 50 * 10  # stopped at the first Ctrl-C, not at the second two minutes later


def test_ctrl_c_during_record_keeps_the_file_and_prints_what_was_written(capsys, monkeypatch, tmp_path):
    path = tmp_path / "rec.csv"
    ctrl_c_after(monkeypatch, 3.0)
    code, _, err = posture(capsys, "record", str(path), "--simulate", "--timeout", "0.5")
    assert code == 130
    last = err.splitlines()[-1]
    assert last.startswith("wrote ") and f"samples to {path}" in last
    written = int(last.split()[1])
    lines = path.read_text().splitlines()
    assert written > 50 and len(lines) == written + 2  # metadata, header, samples


# --- output read by head ------------------------------------------------------------


class _ClosedAfter:
    """A stdout whose reader goes away after ``lines`` lines, as ``head -N`` does."""

    def __init__(self, path: Path, lines: int) -> None:
        self.lines = lines
        self.written: list[str] = []
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT)

    def write(self, text: str) -> int:
        if sum(t.count("\n") for t in self.written) >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._fd


def test_stream_into_head_ends_quietly(capsys, virtual_time, monkeypatch, tmp_path):
    stdout = _ClosedAfter(tmp_path / "sink", lines=1)
    monkeypatch.setattr(sys, "stdout", stdout)
    code = cli.main(["stream", "--simulate", "--seconds", "5", "--timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == 0
    assert "Traceback" not in err and "Broken" not in err
    assert len("".join(stdout.written).splitlines()) == 1


def _slouch_recording(path: Path, rest_s: float = 40.0) -> Path:
    """Upright a minute, 25 deg forward for 20 s (under the 30 s alert delay), upright
    again leaning right for ``rest_s``."""
    schedule = Schedule().hold(62, 0.0).hold(20, 25.0).hold(rest_s, 0.0, lateral=6.0)
    calibration = upright_frame(MOUNTINGS["tilted"])
    return record(
        path, schedule, MOUNTINGS["tilted"], metadata={"kind": "reference", "rate_hz": 50.0, "calibration": calibration}
    )


def test_analyze_json_into_head_exits_quietly(tmp_path):
    # Long enough that the JSON outgrows the pipe's buffer, so writing it meets the closed pipe.
    recording = _slouch_recording(tmp_path / "slouch.csv", rest_s=1200)
    run = subprocess.run(  # noqa: PLW1510 - the exit status is what the test checks
        f"{sys.executable} -m companion analyze --json {recording} | head -c 600",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        executable="/bin/bash",
    )
    assert len(run.stdout) == 600
    assert run.stderr == ""


# --- connecting without waiting out the scan -------------------------------------


@pytest.mark.parametrize("ask", [[], ["--kind", "upright_go"], ["--address", "F0:00:00:00:00:01"]])
def test_stream_connects_as_soon_as_the_wanted_sensor_advertises(capsys, monkeypatch, ask):
    took = elapsed_virtual(monkeypatch)
    code, _out, err = posture(capsys, "stream", "--simulate", "--json", "--seconds", "1", "--timeout", "5", *ask)
    assert code == 0, err
    # Connecting and a second of streaming; the full 5 s scan alone would be more.
    assert took[0] < 4.0, took


def test_record_connects_as_soon_as_the_wanted_sensor_advertises(capsys, monkeypatch, tmp_path):
    took = elapsed_virtual(monkeypatch)
    code, _, err = posture(
        capsys,
        "record",
        str(tmp_path / "r.csv"),
        "--simulate",
        "--kind",
        "microbit",
        "--seconds",
        "1",
        "--timeout",
        "5",
    )
    assert code == 0, err
    assert took[0] < 4.0, took


def test_stream_still_waits_the_whole_timeout_for_a_sensor_not_there(capsys, monkeypatch):
    took = elapsed_virtual(monkeypatch)
    code, _, err = posture(capsys, "stream", "--simulate", "--address", "AA:AA:AA:AA:AA:AA", "--timeout", "2")
    assert code == 1 and "No sensor matching" in err
    assert took[0] >= 2.0


# --- scan's table ------------------------------------------------------------------


def test_scan_table_keeps_columns_aligned_with_long_names(capsys, monkeypatch):
    found = [
        FoundSensor("Posture1", "F0:00:00:00:00:01", "reference", -40),
        FoundSensor("A very long sensor name that goes on and on and on", "F0:00:00:00:00:02", "witmotion", -55),
        FoundSensor("UprightGO2", "F0:00:00:00:00:03", "upright_go", -100),
    ]

    async def fake_scan(transport, timeout_s, until=None):
        return found

    monkeypatch.setattr("companion.link.scan", fake_scan)
    code, out, _ = posture(capsys, "scan", "--simulate", "--timeout", "0.5")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    columns = {line.index("F0:00") for line in lines}
    assert len(columns) == 1
    kinds = {line.index(kind) for line, kind in zip(lines, ("reference", "witmotion", "upright_go"))}
    assert len(kinds) == 1
    assert {len(line) for line in lines} == {len(lines[0])}  # signal right-aligned to one edge
    assert "\u2026" in lines[1] and "on and on and on" not in lines[1]
    assert lines[0].startswith("Posture1 ")


# --- analyze's per-minute summary ----------------------------------------------------


def test_analyze_text_summarises_each_minute(capsys, tmp_path):
    recording = _slouch_recording(tmp_path / "slouch.csv")
    code, out, err = posture(capsys, "analyze", str(recording))
    assert code == 0, err
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("minute"))
    rows = [line.split() for line in lines[head + 1 : head + 4]]
    assert [int(r[0]) for r in rows] == [0, 1, 2]
    mean = [float(r[1]) for r in rows]
    peak = [float(r[2]) for r in rows]
    slouched = [int(r[3].rstrip("%")) for r in rows]
    lean = [float(r[4]) for r in rows]
    assert peak[0] < 5 and slouched[0] == 0
    assert 22 < peak[1] < 28 and 20 < slouched[1] < 45 and mean[1] > 5
    assert abs(lean[0]) < 1.5 and lean[2] > 3  # the last stretch leans to the right


def _remember(address: str, kind: str) -> None:
    from companion.settings import Settings, save
    from companion.settings.values import RememberedSensor

    save(Settings(sensor=RememberedSensor(address, "remembered", kind)))


def test_stream_with_nothing_asked_takes_the_remembered_sensor_as_soon_as_it_advertises(capsys, monkeypatch):
    _remember("F0:00:00:00:00:03", "upright_go")  # not the nearest simulated sensor
    took = elapsed_virtual(monkeypatch)
    code, out, err = posture(capsys, "stream", "--simulate", "--json", "--seconds", "1", "--timeout", "5")
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert (summary["kind"], summary["address"]) == ("upright_go", "F0:00:00:00:00:03")
    assert took[0] < 4.0, took


def test_stream_falls_back_to_the_nearest_when_the_remembered_sensor_is_silent(capsys, monkeypatch):
    _remember("AA:AA:AA:AA:AA:AA", "reference")
    code, out, err = posture(capsys, "stream", "--simulate", "--json", "--seconds", "1", "--timeout", "1")
    assert code == 0, err
    assert "The remembered sensor AA:AA:AA:AA:AA:AA did not advertise; using the nearest one." in err
    assert json.loads(out.splitlines()[-1])["summary"]["kind"] == "reference"
