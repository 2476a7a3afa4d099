"""The ``posture`` command as a user runs it.

Most tests call the entry point in-process on the virtual clock; a few smoke tests
run the installed command in a fresh interpreter, as a shell would.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest

from companion.cli import main

SIMULATED_KINDS = {"reference", "witmotion", "upright_go", "microbit"}


def posture(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``posture ARGS`` in this process: exit status, stdout, stderr."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse: --help, --version, usage errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- end to end, in a fresh interpreter ------------------------------------------------


def test_version_from_a_fresh_interpreter():
    result = posture("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("posture ")


def test_scan_simulate_from_a_fresh_interpreter():
    result = posture("scan", "--simulate", "--json", "--timeout", "0.3")
    assert result.returncode == 0, result.stderr
    assert sorted(sensor["kind"] for sensor in json.loads(result.stdout)) == sorted(SIMULATED_KINDS)
    assert result.stderr == ""


HEAVY = ("companion.sim", "bumble", "bleak", "textual", "numpy")
LIGHT_COMMANDS = [["--help"], ["--version"], ["scan", "--help"], ["analyze", "--help"], ["report"], ["export"]]


def test_commands_that_need_no_radio_load_no_simulator_ble_ui_or_numpy(tmp_path):
    """``posture --help`` starts in tens of milliseconds only while it imports none of these."""
    code = (
        "import json, sys\n"
        "from companion.cli import build_parser, main\n"
        "commands = json.loads(sys.argv[1])\n"
        "if 'status' in build_parser().format_help().split():\n"  # once the tracker's status command exists
        "    commands.append(['status'])\n"
        "heavy = tuple(sys.argv[2].split(','))\n"
        "loaded = {}\n"
        "for command in commands:\n"
        "    try:\n"
        "        main(command)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    loaded[' '.join(command)] = sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "print(json.dumps(loaded), file=sys.stderr)\n"
    )
    env = {**os.environ, "POSTURE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(LIGHT_COMMANDS), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert set(loaded) >= {" ".join(c) for c in LIGHT_COMMANDS}
    assert all(modules == [] for modules in loaded.values()), loaded


# -- in-process ------------------------------------------------------------------------


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.startswith("posture ")


def test_scan_simulate_json_lists_every_simulated_sensor_once(capsys, virtual_time):
    code, out, err = run(capsys, "scan", "--simulate", "--json", "--timeout", "0.5")
    assert code == 0, err
    sensors = json.loads(out)
    assert all(set(sensor) == {"name", "address", "kind", "rssi"} for sensor in sensors)
    # The simulated sensors may share a signal strength, so their order is not asserted.
    assert sorted(sensor["kind"] for sensor in sensors) == sorted(SIMULATED_KINDS)
    assert {"kind": "reference", "name": "Posture1"}.items() <= next(
        sensor for sensor in sensors if sensor["kind"] == "reference"
    ).items()
    assert [sensor["rssi"] for sensor in sensors] == sorted((sensor["rssi"] for sensor in sensors), reverse=True)


def test_scan_simulate_text_has_one_line_per_sensor(capsys, virtual_time):
    code, out, _ = run(capsys, "scan", "--simulate", "--timeout", "0.5")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(SIMULATED_KINDS)
    assert all(line.rstrip().endswith("dBm") for line in lines)
    assert any(line.startswith("Posture1 ") and " reference " in line for line in lines)


def test_stream_simulate_json_prints_readings_and_a_clean_summary(capsys, virtual_time):
    seconds = 3.0
    code, out, err = run(capsys, "stream", "--simulate", "--seconds", f"{seconds:g}", "--json", "--timeout", "0.5")
    assert code == 0, err
    assert "Traceback" not in err
    lines = [json.loads(line) for line in out.splitlines()]
    readings, summary = lines[:-1], lines[-1]["summary"]
    assert summary["received"] == len(readings)
    assert (summary["lost"], summary["malformed"], summary["duplicates"]) == (0, 0, 0)
    assert all(set(r) == {"t_s", "accel_g", "gyro_dps", "seq"} and len(r["accel_g"]) == 3 for r in readings)
    # The simulated sensors share a signal strength, so which one is nearest is not
    # asserted; whichever it is streams for most of the time asked for, at the rate
    # it announced once settled (a WitMotion starts at 10 Hz until its rate is set).
    streamed = err.split("Streaming from ", 1)[1].split("...", 1)[0]
    assert streamed.split("(", 1)[1].split(",", 1)[0] in SIMULATED_KINDS
    rate_hz = float(err.split(" Hz, MTU")[0].rsplit(", ", 1)[1])
    assert readings[-1]["t_s"] - readings[0]["t_s"] >= seconds / 2
    last_second = [r for r in readings if r["t_s"] > readings[-1]["t_s"] - 1.0]
    assert len(last_second) == pytest.approx(rate_hz, abs=0.05 * rate_hz + 1)
    assert all(b["seq"] > a["seq"] and b["t_s"] > a["t_s"] for a, b in itertools.pairwise(readings))
    gyro = {r["gyro_dps"] is None for r in readings}
    assert len(gyro) == 1  # a sensor has a gyroscope or it has not
    if False in gyro:
        assert all(len(r["gyro_dps"]) == 3 for r in readings)


def test_stream_simulate_text_ends_with_the_summary(capsys, virtual_time):
    code, out, err = run(capsys, "stream", "--simulate", "--seconds", "1", "--timeout", "0.5")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1].startswith("received ") and "lost 0, malformed 0" in lines[-1]
    assert all(" s  #" in line and " accel " in line for line in lines[:-1])
    assert "[link] connected to " in err


@pytest.mark.skipif(sys.platform != "linux", reason="points BlueZ at a missing D-Bus")
def test_no_bluetooth_is_a_clear_message_and_exit_1(capsys, virtual_time, monkeypatch):
    # BlueZ is reached over the system D-Bus; with no bus there is no Bluetooth,
    # whatever adapters this host has.
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/posture-test-bus")
    code, out, err = run(capsys, "scan", "--timeout", "0.5")
    assert code == 1
    assert out == ""
    assert err.startswith("posture: Bluetooth is not available on this machine")
    assert "--simulate" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "option", "problem"),
    [
        (["stream", "--seconds", "-3"], "--seconds", "greater than 0"),
        (["scan", "--timeout", "soon"], "--timeout", "is not a number"),
        (["report", "--days", "0"], "--days", "from 1 to 3650"),
        (["analyze", "x.csv", "--calibrate", "5:2"], "--calibrate", "below END"),
    ],
)
def test_bad_argument_names_the_option(capsys, args, option, problem):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert option in err and problem in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["scan", "stream", "record"])
def test_help_everywhere(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "--simulate" in out


def test_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("demo", "app", "scan", "stream", "record", "analyze", "report", "export"):
        assert command in out


@pytest.mark.parametrize(
    "argv",
    [["stop"], ["--bogus"], ["analyze", "--lean", "abc", "x.csv"], ["report", "--days", "0"], ["pause", "-5"]],
)
def test_bad_arguments_get_one_line_and_status_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "usage:" not in err
    assert err.startswith("posture") and "--help" in err


@pytest.mark.parametrize("argv", [["plan"], ["report"], ["export"], ["analyze", "x.csv"]])
def test_an_unknown_option_is_named_with_its_commands_help(argv, capsys):
    command = argv[0]
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--bogus"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"posture {command}: unrecognized arguments: --bogus")
    assert f"`posture {command} --help`" in err and len(err.strip().splitlines()) == 1


def test_bad_status_arguments_get_one_line_too(capsys):
    from companion.entry import main as entry

    with pytest.raises(SystemExit) as exited:
        entry(["status", "--bogus"])
    assert exited.value.code == 2
    assert (
        capsys.readouterr().err.strip()
        == "posture status: unrecognized arguments: --bogus (see `posture status --help`)"
    )


def test_status_json_without_a_tracker_is_an_object_a_status_bar_can_show(capsys):
    from companion.entry import main as entry

    assert entry(["status", "--json"]) == 3
    out = capsys.readouterr()
    shown = json.loads(out.out)
    assert shown["state"] == "no_tracker" and "posture track" in shown["error"]
    assert len(out.err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [["demo"], []])
def test_the_app_without_a_terminal_is_one_line_and_status_2(argv, capsys, monkeypatch):
    """Run from a script or a pipe (`posture > out`, `posture demo </dev/null`), the app
    would draw escape codes into a file and wait for keys forever."""
    ran = []
    monkeypatch.setattr("companion.ui.app.PostureApp.run", lambda self, *a, **k: ran.append(self))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "terminal" in err and "Traceback" not in err
    assert not ran
