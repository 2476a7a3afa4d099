"""The tracker's commands through ``companion.cli.main``: status formats, the one-shot
commands, service files; and one end-to-end run of ``posture track`` in a process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from companion.ble.transport import BleTransport
from companion.cli import main
from companion.link import scan
from companion.notify import DesktopNotifications
from companion.settings import RememberedSensor, Settings, save
from companion.sim import ReferenceSensor
from companion.sim.world import simulated_radio
from companion.tracker import TrackerLock, client, lock_path, socket_path
from companion.tracker.statusline import render
from companion.tracker.tracker import Tracker

pytestmark = pytest.mark.start_early  # see tests/conftest.py


class ThreadedTracker:
    """A real tracker on a simulated sensor, in real time on its own thread, so the
    blocking CLI can talk to it from the test's thread."""

    def __init__(self) -> None:
        self.tracker: Tracker | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            async with simulated_radio(ReferenceSensor) as (radio, _sensors):
                transport = BleTransport.virtual(radio)
                [found] = await scan(transport, 0.3)
                self.loop = asyncio.get_running_loop()
                self.tracker = Tracker(Settings(), transport, found, notifier=DesktopNotifications(enabled=False))
                task = asyncio.create_task(self.tracker.run())
                await self.tracker.ready.wait()
                self._ready.set()
                await task

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - whatever stops the tracker thread is reported by the test
            self.error = exc
        finally:
            self._ready.set()

    def __enter__(self) -> ThreadedTracker:
        self._thread.start()
        assert self._ready.wait(20), "the tracker did not start"
        assert self.error is None, self.error
        return self

    def __exit__(self, *exc) -> None:
        if self.loop is not None and self.tracker is not None:
            self.loop.call_soon_threadsafe(self.tracker.stop)
        self._thread.join(10)
        assert not self._thread.is_alive()


@pytest.fixture
def tracker():
    with ThreadedTracker() as running:
        yield running


def test_status_without_a_tracker_exits_3_with_one_line(capsys):
    assert main(["status"]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "no tracker is running" in captured.err and "posture track" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    for command in (["pause"], ["resume"], ["snooze", "10"], ["calibrate"], ["status", "--json"]):
        assert main(command) == 3, command
        assert "no tracker is running" in capsys.readouterr().err


def test_status_line_json_and_templates(tracker, capsys):
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pid"] == os.getpid() and "today" in status and "link" in status
    assert main(["status"]) == 0
    assert capsys.readouterr().out.strip() in ("sensor connecting", "not calibrated: posture calibrate")
    assert main(["status", "--format", "{state}|{share}|{battery}"]) == 0
    state, share, _battery = capsys.readouterr().out.strip().split("|")
    assert state in ("connecting", "uncalibrated") and share.endswith("%")
    assert main(["status", "--format", "{nope}"]) == 2
    assert "unknown field {nope}" in capsys.readouterr().err
    assert main(["status", "--format", "{state"]) == 2
    assert "--format" in capsys.readouterr().err


def test_pause_resume_snooze_from_the_command_line(tracker, capsys):
    assert main(["pause", "15"]) == 0
    assert "paused for 15 min" in capsys.readouterr().out
    assert main(["status"]) == 0
    assert capsys.readouterr().out.strip() == "paused 15 min"
    assert tracker.tracker.pause is not None
    assert main(["resume"]) == 0
    assert tracker.tracker.pause is None and capsys.readouterr().out == "tracking resumed\n"
    assert main(["resume"]) == 0  # a second time: nothing to end, and it says so
    assert capsys.readouterr().out == "nothing was paused or snoozed: tracking and nudges are on\n"
    assert main(["snooze", "20"]) == 0
    assert "nudges snoozed until" in capsys.readouterr().out
    assert tracker.tracker.session.policy.snoozed_until is not None
    assert main(["resume"]) == 0
    assert capsys.readouterr().out.startswith("nudges back on (snoozed until ")
    assert tracker.tracker.session.policy.snoozed_until is None
    assert main(["snooze", "20"]) == 0
    capsys.readouterr()
    assert main(["pause"]) == 0 and "until `posture resume`" in capsys.readouterr().out
    assert main(["status"]) == 0 and capsys.readouterr().out.strip() == "paused"
    with pytest.raises(SystemExit):
        main(["snooze"])
    with pytest.raises(SystemExit):
        main(["pause", "0"])
    assert "from 1 to 1440" in capsys.readouterr().err


def test_status_formats_for_each_state():
    base = {
        "today": {"upright_share": 0.82, "episodes": 2, "alerts": 1},
        "sensor": {"battery": 80},
        "held_s": 45.0,
        "flexion_deg": 4.2,
        "lateral_deg": -1.0,
        "pause_left_s": None,
        "snoozed_until": None,
    }
    assert render({**base, "state": "upright"}) == "upright 4° · 82% today"
    assert render({**base, "state": "alerted", "flexion_deg": 23.4}) == "SLOUCH 23° 0:45"
    assert render({**base, "state": "paused", "pause_left_s": 11.5 * 60}) == "paused 12 min"
    assert render({**base, "state": "lost"}) == "sensor lost"
    assert render({**base, "state": "upright", "snoozed_until": 1.0}) == "upright 4° · 82% today · snoozed"
    assert render({**base, "state": "upright"}, "{flexion}° {episodes}/{alerts}") == "4° 2/1"
    # Just after a resume no reading has come yet; just below zero is zero.
    assert render({**base, "state": "upright", "flexion_deg": None}) == "upright · 82% today"
    assert render({**base, "state": "upright", "flexion_deg": -0.3}) == "upright 0° · 82% today"


def test_track_refuses_a_second_instance_naming_the_pid(capsys):
    with TrackerLock(lock_path()):
        assert main(["track", "--simulate"]) == 1
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "already running" in err


def test_track_without_a_sensor_says_what_to_do(capsys):
    assert main(["track"]) == 2
    err = capsys.readouterr().err
    assert "no sensor remembered" in err and "--simulate" in err


class WearerOnCue:
    """A person at the desk: sits still until asked to calibrate, then follows the
    guided calibration (sit upright, lean forward, sit up) from that moment."""

    def __init__(self) -> None:
        from companion.sim.wearer import Script, SimulatedWearer

        self.wearer = SimulatedWearer(Script().sit(2).calibration().sit(600), seed=3)
        self.cue_s: float | None = None  # sensor time of the request

    def sample(self, times_s):
        import numpy as np

        t = np.asarray(times_s, float)
        script_t = np.full_like(t, 1.0) if self.cue_s is None else 2.0 + np.maximum(0.0, t - self.cue_s)
        return self.wearer.sample(script_t)


def test_calibrate_is_guided_in_the_terminal(capsys):
    """The guided calibration against a tracker whose wearer follows it. The tracker
    runs on the virtual clock in its own thread (the blocking CLI talks to it over
    the socket from the test's thread), and the wearer starts when asked."""
    from companion.sim.clock import run_virtual

    done = threading.Event()
    holder: dict = {}
    person = WearerOnCue()

    def run() -> None:
        async def go() -> None:
            async with simulated_radio(lambda radio: ReferenceSensor(radio, motion=person)) as (radio, [sensor]):
                transport = BleTransport.virtual(radio)
                [found] = await scan(transport, 0.3)
                loop = holder["loop"] = asyncio.get_running_loop()
                holder["tracker"] = tracker = Tracker(
                    Settings(), transport, found, notifier=DesktopNotifications(enabled=False)
                )
                calibrate = tracker.calibrate

                def asked() -> None:
                    person.cue_s = loop.time() - sensor.boot_s
                    calibrate()

                tracker.calibrate = asked  # type: ignore[method-assign]
                task = asyncio.create_task(tracker.run())
                await tracker.ready.wait()
                while tracker.link_state.value != "streaming":  # noqa: ASYNC110 - the tracker exposes no event for streaming
                    await asyncio.sleep(0.05)
                done.set()
                await task

        run_virtual(go())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert done.wait(20)
    try:
        assert main(["calibrate"]) == 0
    finally:
        holder["loop"].call_soon_threadsafe(holder["tracker"].stop)
        thread.join(10)
    out = capsys.readouterr().out
    assert out.startswith("Sit upright and still")
    assert "lean forward" in out and out.rstrip().endswith("Calibrated: this is your upright.")
    assert holder["tracker"].session.engine.calibrated
    assert person.cue_s is not None


def _remember(address="AA:BB:CC:DD:EE:FF", kind="reference"):
    save(Settings(sensor=RememberedSensor(address, "Posture1", kind)))


def test_service_dry_run_prints_the_unit_only(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["service", "install", "--dry-run"]) == 2
    assert "no sensor remembered" in capsys.readouterr().err
    _remember()
    assert main(["service", "install", "--dry-run"]) == 0
    unit = capsys.readouterr().out
    assert "Restart=on-failure" in unit and "WantedBy=default.target" in unit
    assert "track --address AA:BB:CC:DD:EE:FF --kind reference" in unit
    assert "POSTURE_HOME=" in unit
    assert not (tmp_path / "home" / ".config" / "systemd").exists()


def test_service_install_writes_the_unit_and_says_so(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no systemctl here
    _remember()
    code = main(["service", "install"])
    captured = capsys.readouterr()
    unit_path = tmp_path / "home" / ".config" / "systemd" / "user" / "posture.service"
    assert unit_path.read_text() in captured.out and f"wrote {unit_path}" in captured.out
    assert code == 1 and "systemctl not found" in captured.err
    assert main(["service", "status"]) == 0
    assert "installed" in capsys.readouterr().out
    assert main(["service", "uninstall"]) == 0
    assert not unit_path.exists() and f"removed {unit_path}" in capsys.readouterr().out


def test_service_on_macos_is_a_launchd_agent(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sys, "platform", "darwin")
    _remember(kind="witmotion")
    assert main(["service", "install", "--dry-run"]) == 0
    plist = capsys.readouterr().out
    assert "<string>org.posture.tracker</string>" in plist and "<string>witmotion</string>" in plist
    assert "<key>KeepAlive</key>" in plist


def _posture(*args: str, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "companion", *args], capture_output=True, text=True, env=env, timeout=30, check=False
    )


def _wait_status(env, deadline_s: float = 10.0) -> dict:
    """Until the tracker answers (asked from here: an interpreter a poll would cost
    more than the tracker's own start), then its status as ``posture status --json``
    prints it from a second shell."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            client.request("status", timeout_s=1.0)
            break
        except client.NoTracker:
            assert time.monotonic() < deadline, "no status within 10 s"
            time.sleep(0.1)
    result = _posture("status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _wait_for_a_committed_bin(path, deadline_s: float = 20.0) -> None:
    """Until the tracker has committed a 5 s bin of the session to its history."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if path.exists():
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                if db.execute("SELECT COUNT(*) FROM bins").fetchone()[0]:
                    return
            except sqlite3.OperationalError:
                pass  # the schema is not written yet
            finally:
                db.close()
        time.sleep(0.2)
    raise AssertionError(f"no bin committed to {path} within {deadline_s:g} s")


def test_track_in_a_process_survives_kill_9_and_stops_cleanly_on_sigterm(posture_home):
    env = {**os.environ, "POSTURE_HOME": str(posture_home)}
    first = subprocess.Popen(
        [sys.executable, "-m", "companion", "track", "--simulate"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        status = _wait_status(env)
        assert status["pid"] == first.pid
        _wait_for_a_committed_bin(posture_home / "data" / "demo" / "history.sqlite3")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.time()
    assert socket_path().exists()  # left behind by kill -9
    second = subprocess.Popen(
        [sys.executable, "-m", "companion", "track", "--simulate"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        status = _wait_status(env)
        assert status["pid"] == second.pid
        time.sleep(1.0)
        started = time.monotonic()
        second.send_signal(signal.SIGTERM)
        code = second.wait(5)
        stop_s = time.monotonic() - started
    finally:
        if second.poll() is None:
            second.kill()
    log = second.stderr.read()
    assert code == 0, log
    assert stop_s < 2.0, f"took {stop_s:.2f} s to stop"
    assert "history flushed" in log and "sensor stopped" in log
    assert not socket_path().exists()
    assert not (posture_home / "data" / "history.sqlite3").exists()  # simulated data keeps apart
    db = sqlite3.connect(posture_home / "data" / "demo" / "history.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    sessions = db.execute("SELECT id, started_at, ended_at FROM sessions ORDER BY started_at").fetchall()
    assert len(sessions) == 2 and sessions[0][2] is None and sessions[1][2] is not None  # the killed one never ended
    (first_id, first_start, _), _ = sessions
    kept_s = db.execute("SELECT SUM(seconds) FROM bins WHERE session_id = ?", (first_id,)).fetchone()[0]
    lost_s = (killed_at - first_start) - kept_s
    assert 0 <= lost_s <= 6.5, f"kill -9 lost {lost_s:.1f} s (the open 5 s bin and the last commit at most)"


def test_a_second_window_refuses_while_another_records_this_home(capsys):
    with TrackerLock(lock_path()):
        assert main(["app"]) == 1
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "posture track" in err


def test_the_demo_keeps_its_own_store():
    from companion.history.store import default_path
    from companion.ui.app import make_app

    app = make_app(demo=True, settings=Settings())
    assert app.history_path != default_path() and "demo" in app.history_path.parts
