"""The background tracker on a simulated sensor, on the virtual clock: viewers,
status, pause and resume, stop, the history it wrote, and misbehaving clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import stat
from datetime import datetime, timedelta

import numpy as np
import pytest

from companion.ble.transport import BleTransport
from companion.history import HistoryStore
from companion.history.records import Alert, SessionStarted
from companion.history.store import default_path
from companion.link import scan
from companion.notify import DesktopNotifications
from companion.settings import Settings
from companion.sim import ReferenceSensor
from companion.sim.clock import run_virtual
from companion.sim.wearer import Script, SimulatedWearer
from companion.sim.world import simulated_radio
from companion.tracker import AlreadyRunning, TrackerLock, lock_path, socket_path
from companion.tracker.client import AsyncTrackerClient, CommandFailed, NoTracker
from companion.tracker.lock import holder_pid, is_locked
from companion.tracker.tracker import Tracker

WALL0 = datetime(2026, 11, 20, 10, 0, 0)


def workday_wearer() -> SimulatedWearer:
    """Upright, the guided calibration, sitting, a held slump, sitting, then a second
    slump that falls inside the pause, then sitting on."""
    script = Script().sit(6).calibration().sit(30).slump(22, 10, 60).sit(20).slump(25, 5, 50).sit(600)
    return SimulatedWearer(script, seed=7)


@contextlib.asynccontextmanager
async def running_tracker(wearer=None, **options):
    async with simulated_radio(lambda radio: ReferenceSensor(radio, motion=wearer or workday_wearer())) as (
        radio,
        sensors,
    ):
        transport = BleTransport.virtual(radio)
        [found] = await scan(transport, 0.5)
        loop = asyncio.get_running_loop()
        tracker = Tracker(
            Settings(),
            transport,
            found,
            clock=lambda: WALL0 + timedelta(seconds=loop.time()),
            notifier=DesktopNotifications(enabled=False),
            **options,
        )
        task = asyncio.create_task(tracker.run())
        await asyncio.wait({task, asyncio.ensure_future(tracker.ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        try:
            yield tracker, sensors[0]
        finally:
            tracker.stop()
            await asyncio.wait_for(task, 10)


async def until(predicate, timeout_s: float = 60.0, step_s: float = 0.1) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(step_s)


class Viewer:
    """A subscribed client collecting everything the tracker sends."""

    def __init__(self, client: AsyncTrackerClient) -> None:
        self.client = client
        self.messages: list[dict] = []
        self.task = asyncio.create_task(self._collect())

    @classmethod
    async def attach(cls, rate_hz: float = 10.0) -> Viewer:
        client = await AsyncTrackerClient.connect()
        await client.request("subscribe", rate_hz=rate_hz)
        return cls(client)

    async def _collect(self) -> None:
        async for message in self.client.messages():
            self.messages.append(message)

    def of(self, event: str) -> list[dict]:
        return [m for m in self.messages if m.get("event") == event]

    async def close(self) -> None:
        await self.client.close()
        await self.task


async def ask(cmd: str, **fields) -> dict:
    client = await AsyncTrackerClient.connect()
    try:
        return await client.request(cmd, **fields)
    finally:
        await client.close()


def test_a_tracked_day_with_two_viewers_pause_resume_and_stop():
    async def main():
        async with running_tracker() as (tracker, _sensor):
            loop = asyncio.get_running_loop()
            first, second = await Viewer.attach(10), await Viewer.attach(2)
            assert first.client.hello["pid"] == os.getpid() and first.client.hello["v"] == 1
            await ask("calibrate")
            await until(lambda: first.of("calibration") and first.of("calibration")[-1].get("done"), 60)
            assert tracker.session.engine.calibrated
            # The first slump is held 60 s: an episode, then an alert.
            await until(lambda: tracker.session.tally.alerts >= 1, 200)
            status = (await ask("status"))["status"]
            assert status["state"] in ("slouching", "alerted") and status["flexion_deg"] > 12
            await until(lambda: tracker.session.engine.snapshot.state.value == "upright", 120)
            # Pause for two minutes just before the second slump: it must leave no trace.
            paused_at = loop.time()
            reply = await ask("pause", minutes=2)
            assert reply["status"]["state"] == "paused" and reply["status"]["pause_left_s"] == pytest.approx(
                120, abs=0.5
            )
            wall_paused = WALL0.timestamp() + paused_at
            await asyncio.sleep(30)
            assert (await ask("status"))["status"]["state"] == "paused"
            # ...and it ends by itself after its minutes.
            await until(lambda: tracker.pause is None, 100)
            resumed_at = loop.time()
            assert resumed_at - paused_at == pytest.approx(120, abs=0.5)
            await asyncio.sleep(20)
            third = await Viewer.attach(10)
            await ask("stop")
            await asyncio.sleep(3)
            views = (first, second, third)
            for viewer in views:
                await viewer.close()
            return tracker, views, wall_paused, WALL0.timestamp() + resumed_at

    _tracker, (first, second, third), paused_wall, resumed_wall = run_virtual(main())
    assert not is_locked(lock_path()) and not socket_path().exists()
    for viewer in (first, second, third):
        assert viewer.of("snapshot") and viewer.of("bye")
    # Snapshots reach each viewer at no more than the rate it asked for.
    for viewer, rate_hz in ((first, 10), (second, 2)):
        times = [m["status"]["time"] for m in viewer.of("snapshot") if m["status"]["state"] not in ("paused",)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(times) > 50
        assert sorted(gaps)[len(gaps) // 10] >= 1 / rate_hz - 0.06
    store = HistoryStore(default_path(), readonly=True)
    sessions = store.db.execute("SELECT started_at, ended_at FROM sessions ORDER BY started_at").fetchall()
    assert len(sessions) == 2 and all(end is not None for _, end in sessions)
    assert sessions[0][1] == pytest.approx(paused_wall, abs=0.5)
    assert sessions[1][0] == pytest.approx(resumed_wall, abs=0.5)
    episodes = [e for _, e in store.episodes(0, 1e12)]
    assert len(episodes) == 1 and episodes[0].alerted
    assert not [e for e in episodes if paused_wall - 1 < e.start < resumed_wall]
    assert not [a for a in store.alerts(0, 1e12) if paused_wall < a.at < resumed_wall]
    bins = store.bins(0, 1e12)
    inside = [b for b in bins if b.start >= paused_wall and b.start + b.seconds <= resumed_wall]
    assert not inside, "paused time was recorded"
    assert sum(b.upright_s for b in bins if b.start >= resumed_wall) > 10


def test_calibrating_the_tracker_mid_slouch_keeps_the_episode():
    """`posture calibrate` while the wearer slouches: detection rests for the guided
    calibration, and the episode under way is written as it ends there."""

    async def main():
        async with running_tracker() as (tracker, _sensor):
            await ask("calibrate")
            await until(lambda: tracker.session.engine.calibrated, 60)
            await until(lambda: tracker.session.tally.alerts >= 1, 200)
            await ask("calibrate")
            await ask("stop")
            return tracker.session.tally.episodes

    counted = run_virtual(main())
    episodes = [e for _, e in HistoryStore(default_path(), readonly=True).episodes(0, 1e12)]
    assert len(episodes) == counted == 1 and episodes[0].alerted


def test_an_attached_window_plots_a_status_sent_again_once():
    """Statuses the tracker sends again without a new reading (link changes, battery,
    command replies in an outage) carry the same snapshot time: one chart point."""
    from companion.ui.viewer import ViewerApp

    async def main():
        async with running_tracker() as (tracker, _sensor):
            await ask("calibrate")
            await until(lambda: tracker.session.engine.calibrated, 60)
            await asyncio.sleep(5)
            return tracker.status()

    status = run_virtual(main())
    assert status["flexion_deg"] is not None and status["snapshot_at"] is not None
    viewer = ViewerApp()
    for later_s in (0.0, 30.0, 60.0):
        viewer._show({**status, "time": status["time"] + later_s})
    assert [at for at, _ in viewer.live._chart] == [status["snapshot_at"]]


def test_second_tracker_refuses_naming_the_running_pid():
    async def main():
        async with running_tracker() as (tracker, _sensor):
            again = Tracker(Settings(), tracker.transport, tracker.sensor, notifier=DesktopNotifications(enabled=False))
            with pytest.raises(AlreadyRunning) as caught:
                await again.run()
            await until(lambda: tracker.link_state.value == "streaming", 30)
            assert (await ask("status"))["status"]["pid"] == os.getpid()
            return caught.value

    error = run_virtual(main())
    assert error.pid == os.getpid() and str(os.getpid()) in str(error)


def test_lock_is_exclusive_and_names_its_holder(tmp_path):
    path = tmp_path / "data" / "tracker.lock"
    with TrackerLock(path):
        assert is_locked(path) and holder_pid(path) == os.getpid()
        with pytest.raises(AlreadyRunning):
            TrackerLock(path).acquire()
    assert not is_locked(path) and holder_pid(path) is None
    TrackerLock(path).acquire().release()


def test_stale_socket_and_lock_of_a_killed_tracker_are_replaced():
    path = socket_path()
    path.parent.mkdir(parents=True, mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # a socket file nobody listens on, as kill -9 leaves it
    lock_path().parent.mkdir(parents=True, mode=0o700)
    lock_path().write_text("999999\n")

    async def main():
        async with running_tracker() as (_tracker, _sensor):
            mode = stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode)
            return (await ask("status"))["status"], mode, holder_pid(lock_path())

    status, (socket_mode, dir_mode), holder = run_virtual(main())
    assert status["pid"] == os.getpid() and holder == os.getpid()
    assert socket_mode == 0o600 and dir_mode == 0o700


def test_no_tracker_is_a_clear_error():
    async def main():
        with pytest.raises(NoTracker, match="no tracker is running"):
            await AsyncTrackerClient.connect()

    run_virtual(main())


def test_misbehaving_clients_are_dropped_and_tracking_goes_on():
    async def main():
        async with running_tracker() as (tracker, _sensor):
            path = str(socket_path())
            viewer = await Viewer.attach(10)
            # Garbage: an error reply, and the connection stays usable.
            reader, writer = await asyncio.open_unix_connection(path)
            await reader.readline()  # hello
            writer.write(b'\xff\xfe not json\n{"v": 1, "cmd": "dance"}\n{"v": 9, "cmd": "status"}\n[1,2]\n')
            errors = [json.loads(await reader.readline()) for _ in range(4)]
            writer.write(b'{"v": 1, "cmd": "snooze", "minutes": "lots"}\n{"v": 1, "cmd": "status"}\n')
            bad_minutes, fine = json.loads(await reader.readline()), json.loads(await reader.readline())
            writer.close()
            # 10 MB in one line: an error reply, the line is skipped, the connection goes on.
            big_reader, big_writer = await asyncio.open_unix_connection(path)
            await big_reader.readline()
            big_writer.write(b"x" * (10 * 1024 * 1024) + b'\n{"v": 1, "cmd": "status", "id": 5}\n')
            await big_writer.drain()
            oversized = json.loads(await big_reader.readline())
            after_big = json.loads(await big_reader.readline())
            assert after_big["ok"] and after_big["id"] == 5
            big_writer.close()
            # A subscriber that never reads: dropped once its backlog passes the bound.
            stuck = socket.socket(socket.AF_UNIX)
            stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stuck.connect(path)
            stuck.sendall(b'{"v": 1, "cmd": "subscribe", "rate_hz": 10}\n')
            await until(lambda: len(tracker.server.clients) == 2, 600, step_s=1.0)
            # A viewer killed mid-stream (its socket just vanishes).
            killed = await Viewer.attach(10)
            await asyncio.sleep(1)
            killed.client.writer.transport.abort()
            await asyncio.sleep(2)
            received = tracker.link.stats.received
            await asyncio.sleep(2)
            assert tracker.link.stats.received > received, "tracking stopped"
            status = (await ask("status"))["status"]
            count_before = len(viewer.of("snapshot"))
            await asyncio.sleep(1)
            assert len(viewer.of("snapshot")) > count_before, "the good viewer was dropped"
            stuck.close()
            await viewer.close()
            return errors, bad_minutes, fine, oversized, status

    errors, bad_minutes, fine, oversized, status = run_virtual(main())
    assert all(not e["ok"] and e["error"] for e in errors)
    assert "unknown command 'dance'" in errors[1]["error"] and "version 9" in errors[2]["error"]
    assert not bad_minutes["ok"] and "minutes" in bad_minutes["error"] and fine["ok"]
    assert not oversized["ok"] and "longer than" in oversized["error"]
    assert status["link"]["state"] == "streaming"


def test_peers_of_another_user_are_refused(monkeypatch):
    from companion.tracker import server

    monkeypatch.setattr(server, "peer_uid", lambda sock: os.getuid() + 1)

    async def main():
        async with running_tracker() as (tracker, _sensor):
            reader, writer = await asyncio.open_unix_connection(str(socket_path()))
            reply = json.loads(await reader.readline())
            rest = await reader.read()
            writer.close()
            return reply, rest, tracker.server.refused

    reply, rest, refused = run_virtual(main())
    assert not reply["ok"] and "another user" in reply["error"] and rest == b"" and refused == 1


def test_peer_uid_is_read_from_the_kernel():
    from companion.tracker.server import peer_uid

    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert peer_uid(a) in (os.getuid(), None)


def test_a_session_a_crashed_tracker_left_open_is_ended_at_what_it_stored():
    t = (WALL0 - timedelta(days=1)).timestamp()
    store = HistoryStore(default_path())
    store.write([SessionStarted(t, "F0:00:00:00:00:01", "Posture1", "reference"), Alert(t + 70, "slouch", 22.0, True)])
    store.close()

    async def main():
        async with running_tracker() as (tracker, _sensor):
            assert tracker.history is not None
            await asyncio.to_thread(tracker.history.flush, 5.0)

    run_virtual(main())
    store = HistoryStore(default_path(), readonly=True)
    ended = store.db.execute("SELECT ended_at FROM sessions ORDER BY id").fetchall()
    store.close()
    assert ended[0] == (t + 70,)
    assert len(ended) == 2 and ended[1][0] is not None  # the tracker's own, ended as it stopped


def test_snooze_holds_nudges_and_resume_ends_it():
    async def main():
        async with running_tracker() as (_tracker, _sensor):
            snoozed = (await ask("snooze", minutes=30))["status"]
            resumed = (await ask("resume"))["status"]
            with pytest.raises(CommandFailed, match="unknown stretch"):
                await ask("stretch", name="cartwheel")
            with pytest.raises(CommandFailed, match="calibrate first"):
                await ask("stretch", name="shoulder_squeeze")
            return snoozed, resumed

    snoozed, resumed = run_virtual(main())
    assert snoozed["snoozed_until"] == pytest.approx(snoozed["time"] + 30 * 60, abs=1)
    assert resumed["snoozed_until"] is None


async def test_the_app_views_a_running_tracker_and_leaves_it_running():
    """Real time here (Textual's pilot runs on the ordinary loop); a few seconds."""
    from companion.ui.viewer import ViewerApp

    async with running_tracker() as (tracker, _sensor):
        loop = asyncio.get_running_loop()
        first, second = ViewerApp(), ViewerApp()
        async with first.run_test(size=(100, 30)) as pilot, second.run_test(size=(100, 30)) as pilot_two:
            deadline = loop.time() + 10
            while first.status is None or second.status is None or first.status["link"]["state"] != "streaming":
                assert loop.time() < deadline, "no snapshot reached the viewers"
                await asyncio.sleep(0.05)
            assert f"pid {os.getpid()}" in first.sub_title and first.live.snapshot is not None
            await pilot.press("p")
            deadline = loop.time() + 5
            while not (second.status and second.status["paused"]):
                assert loop.time() < deadline, "the pause did not reach the other viewer"
                await asyncio.sleep(0.05)
            assert tracker.pause is not None
            await pilot_two.press("p")
            while tracker.pause is not None:
                assert loop.time() < deadline + 5
                await asyncio.sleep(0.05)
            await pilot.press("ctrl+q")
        assert tracker.link_state.value == "streaming" and not tracker.server.subscribers()
        assert (await ask("status"))["ok"]


def test_stop_is_prompt_even_while_the_sensor_is_out_of_range():
    from companion.link import FoundSensor

    async def main():
        async with simulated_radio() as (radio, _):
            absent = FoundSensor("Posture9", "F0:00:00:00:00:99", "reference", 0)
            tracker = Tracker(
                Settings(), BleTransport.virtual(radio), absent, notifier=DesktopNotifications(enabled=False)
            )
            task = asyncio.create_task(tracker.run())
            await tracker.ready.wait()
            await asyncio.sleep(1.0)  # inside the lookup of a sensor that never answers
            loop = asyncio.get_running_loop()
            asked = loop.time()
            tracker.stop()
            await asyncio.wait_for(task, 10)
            return loop.time() - asked, tracker

    took_s, _tracker = run_virtual(main())
    assert took_s < 2.0
    assert not is_locked(lock_path())
    store = HistoryStore(default_path(), readonly=True)
    assert store.db.execute("SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL").fetchone()[0] == 1


async def test_an_in_process_app_refuses_a_home_another_process_records():
    from companion.ui.app import make_app

    with TrackerLock(lock_path()):
        app = make_app(settings=Settings())
        async with app.run_test(size=(100, 30)):
            pass
    assert app.return_code == 1 and app.history is None


def test_a_calibration_whose_guide_hangs_up_is_cancelled():
    """Ctrl-C on `posture calibrate` (a subscribed peer that asked for the calibration)
    leaves no tracker stuck calibrating; a one-shot request keeps its calibration."""

    async def main():
        async with running_tracker() as (tracker, _sensor):
            guide = await Viewer.attach(4)
            await guide.client.send("calibrate")  # as the viewer app sends it
            await until(lambda: tracker.session.engine.calibration_status() is not None, 5)
            await guide.close()  # the terminal went away mid-calibration
            await until(lambda: tracker.session.engine.calibration_status() is None, 5)
            state = (await ask("status"))["status"]["state"]
            await ask("calibrate")  # nobody watching: it runs to its end
            await asyncio.sleep(1.0)
            one_shot = tracker.session.engine.calibration_status()
            # A viewer that asked long ago and leaves later does not cancel the
            # calibration somebody else started since.
            tracker.session.engine.cancel_calibration()
            early = await Viewer.attach(4)
            await early.client.send("calibrate")
            await until(lambda: tracker.session.engine.calibration_status() is not None, 5)
            tracker.session.engine.cancel_calibration()
            await ask("calibrate")
            await early.close()
            await asyncio.sleep(1.0)
            return state, one_shot, tracker.session.engine.calibration_status()

    state, one_shot, others = run_virtual(main())
    assert state != "calibrating"
    assert one_shot is not None
    assert others is not None


def test_the_simulated_person_of_track_simulate_follows_the_guided_calibration():
    """`posture track --simulate` then `posture calibrate`: the simulated wearer sits up
    and leans when asked, as the demo's does, so the calibration completes."""
    from companion.sim.world import TrackedWearer

    person = TrackedWearer()

    async def main():
        async with running_tracker(person, simulated_wearer=person) as (tracker, _sensor):
            await asyncio.sleep(30)  # into the day, past its own opening calibration
            await ask("calibrate")
            await until(lambda: tracker.session.engine.calibrated, 60)
            flexions = []  # ...and then the day goes on: it moves again
            for _ in range(120):
                await asyncio.sleep(1.0)
                flexions.append(tracker.session.engine.snapshot.flexion_deg or 0.0)
            return max(flexions) - min(flexions)

    assert run_virtual(main()) > 8


def test_the_simulated_person_goes_on_with_the_day_after_an_abandoned_calibration():
    """Ctrl-C on `posture calibrate` against `track --simulate`: the calibration is
    cancelled and the simulated person sits up and goes on with its day (it used to
    sit still for good, its queued day dropped)."""
    from companion.sim.world import TrackedWearer

    person = TrackedWearer()

    async def main():
        async with running_tracker(person, simulated_wearer=person) as (tracker, _sensor):
            await asyncio.sleep(30)
            guide = await Viewer.attach(4)
            await guide.client.send("calibrate")
            await until(lambda: tracker.session.engine.calibration_status() is not None, 5)
            await asyncio.sleep(2)
            await guide.close()  # the terminal went away mid-calibration
            await until(lambda: tracker.session.engine.calibration_status() is None, 5)
            await asyncio.sleep(5)  # the next sample takes the movement
            # What the person does over the coming hour (uncalibrated now, the engine
            # shows no flexion to look at).
            now = asyncio.get_running_loop().time()
            flexion = person.scripted_pose(now + np.arange(0.0, 3600.0, 5.0))[:, 0]
            return float(flexion.max() - flexion.min())

    assert run_virtual(main()) > 8
