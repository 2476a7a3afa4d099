"""``posture scan`` / ``stream`` / ``record`` choosing a sensor, called in-process.

The simulated world runs on the virtual clock (the CLI's event loop is swapped
for the virtual-clock loop), so five seconds of streaming take milliseconds.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from companion import cli
from companion.sim.clock import run_virtual

# Nominal rates the drivers set the simulated sensors to.
NOMINAL_HZ = {"reference": 50.0, "witmotion": 50.0, "upright_go": 15.0, "microbit": 50.0}


@pytest.fixture
def virtual_clock(monkeypatch):
    monkeypatch.setattr(asyncio, "run", run_virtual)


def posture(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def summary_of(out: str) -> dict:
    return json.loads(out.splitlines()[-1])["summary"]


def test_scan_orders_by_signal_the_same_way_every_time(virtual_clock, capsys):
    orders = set()
    for _ in range(5):
        code, out, _ = posture(capsys, "scan", "--simulate", "--json", "--timeout", "0.5")
        assert code == 0
        sensors = json.loads(out)
        orders.add(tuple(s["kind"] for s in sensors))
        rssi = [s["rssi"] for s in sensors]
        assert rssi == sorted(rssi, reverse=True) and len(set(rssi)) == len(rssi)
    assert orders == {("reference", "witmotion", "upright_go", "microbit")}


def test_stream_without_kind_is_always_the_nearest_sensor(virtual_clock, capsys):
    kinds = set()
    for _ in range(5):
        code, out, err = posture(capsys, "stream", "--simulate", "--seconds", "1", "--json", "--timeout", "0.5")
        assert code == 0, err
        kinds.add((summary_of(out)["kind"], summary_of(out)["address"]))
    assert kinds == {("reference", "F0:00:00:00:00:01")}


@pytest.mark.parametrize("kind", sorted(NOMINAL_HZ))
def test_stream_kind_delivers_its_nominal_rate_without_loss(virtual_clock, capsys, kind):
    code, out, err = posture(
        capsys, "stream", "--simulate", "--seconds", "5", "--json", "--timeout", "0.5", "--kind", kind
    )
    assert code == 0, err
    assert "Traceback" not in err
    summary = summary_of(out)
    assert summary["kind"] == kind
    assert summary["lost"] == 0
    assert summary["received"] >= 0.95 * 5 * NOMINAL_HZ[kind]
    readings = [json.loads(line) for line in out.splitlines()[:-1]]
    assert len(readings) == summary["received"]


def test_stream_by_address(virtual_clock, capsys):
    code, out, err = posture(
        capsys,
        "stream",
        "--simulate",
        "--seconds",
        "1",
        "--json",
        "--timeout",
        "0.5",
        "--address",
        "f0:00:00:00:00:04",
    )
    assert code == 0, err
    assert (summary_of(out)["kind"], summary_of(out)["address"]) == ("microbit", "F0:00:00:00:00:04")


def test_no_sensor_matches_is_one_line_and_exit_1(virtual_clock, capsys):
    code, out, err = posture(
        capsys,
        "stream",
        "--simulate",
        "--seconds",
        "1",
        "--timeout",
        "0.5",
        "--kind",
        "witmotion",
        "--address",
        "F0:00:00:00:00:01",
    )
    assert code == 1
    assert out == ""
    assert err.startswith("posture: No sensor matching --kind witmotion --address F0:00:00:00:00:01")
    assert "Posture1 (reference, F0:00:00:00:00:01)" in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_kind_names_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["stream", "--simulate", "--kind", "fitbit"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--kind" in err and "fitbit" in err and "upright_go" in err


def test_record_kind_writes_that_sensor(virtual_clock, capsys, tmp_path):
    out_file = tmp_path / "rec.csv"
    code, _, err = posture(
        capsys, "record", str(out_file), "--simulate", "--seconds", "2", "--timeout", "0.5", "--kind", "upright_go"
    )
    assert code == 0, err
    assert "UprightGO2 (upright_go, F0:00:00:00:00:03)" in err
    metadata, *rows = out_file.read_text().splitlines()
    assert metadata.startswith("# posture-recording ") and '"kind":"upright_go"' in metadata.replace(" ", "")
    assert rows[0] == "t,ax,ay,az,gx,gy,gz"
    assert len(rows) - 1 >= 0.95 * 2 * NOMINAL_HZ["upright_go"]
