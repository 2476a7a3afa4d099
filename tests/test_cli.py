"""The ``posture`` command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def posture(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion", *args],
        capture_output=True, text=True, timeout=timeout, env=os.environ.copy(),
    )


def test_version():
    result = posture("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("posture ")


def test_scan_simulate_json_lists_the_simulated_sensor():
    result = posture("scan", "--simulate", "--json", "--timeout", "0.5")
    assert result.returncode == 0, result.stderr
    sensors = json.loads(result.stdout)
    assert sensors and set(sensors[0]) == {"name", "address", "kind", "rssi"}
    assert {"kind": "reference", "name": "Posture1"}.items() <= sensors[0].items()


def test_stream_simulate_json_prints_readings_and_a_clean_summary():
    result = posture("stream", "--simulate", "--seconds", "3", "--json", "--timeout", "0.5")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    readings, summary = lines[:-1], lines[-1]["summary"]
    assert len(readings) >= 100
    first = readings[0]
    assert set(first) == {"t_s", "accel_g", "gyro_dps", "seq"}
    assert len(first["accel_g"]) == 3 and len(first["gyro_dps"]) == 3
    assert summary["received"] == len(readings)
    assert (summary["lost"], summary["malformed"]) == (0, 0)
    assert "Traceback" not in result.stderr


def test_no_bluetooth_or_no_sensor_is_a_clear_message_and_exit_1():
    result = posture("scan", "--timeout", "0.5")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("posture: ") or "No supported sensor" in result.stderr


def test_bad_argument_names_the_option():
    result = posture("stream", "--seconds", "-3")
    assert result.returncode == 2
    assert "--seconds" in result.stderr and "greater than 0" in result.stderr


@pytest.mark.parametrize("command", ["scan", "stream"])
def test_help_everywhere(command):
    result = posture(command, "--help")
    assert result.returncode == 0
    assert "--simulate" in result.stdout
