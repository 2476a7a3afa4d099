"""Daily use of the app: remembered sensors, today's numbers, the chart, closing
the terminal, standing up, the stretch results."""

from __future__ import annotations

import io
import os
import signal
import threading
import tomllib
from datetime import datetime

import numpy as np
import pytest
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakError
from rich.console import Console

from companion.ble.transport import BleTransport
from companion.coach import DayTally
from companion.coach.stretches import StretchKind, StretchResult
from companion.engine import Activity, BodyFrame, EngineSettings, EngineState, PostureEngine, PostureSnapshot
from companion.history import HistoryStore
from companion.history.records import Alert, Bin, Episode, SessionStarted
from companion.history.store import default_path
from companion.link import LinkState
from companion.readings import ImuReading
from companion.settings import RememberedSensor, Settings, settings_path
from companion.ui.app import make_app
from companion.ui.sensor_screen import SensorScreen
from companion.ui.widgets import FlexionChart
from tests.test_ui import DEMO_ADDRESS, calibrate_demo_sensor, demo_app, slouching_demo, state_line, wait_for


async def test_a_simulated_sensor_is_never_remembered():
    calibrate_demo_sensor()
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: app.link_state is LinkState.STREAMING)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, SensorScreen) and app.screen.found, timeout_s=10)
        assert "not remembered" in str(app.screen.query_one("#scan-status").render())
        await pilot.press("enter")
        await wait_for(lambda: not isinstance(app.screen, SensorScreen))
        await wait_for(lambda: app.link_state is LinkState.STREAMING)
    assert app.settings.sensor is None
    assert not settings_path().exists() or "sensor" not in tomllib.loads(settings_path().read_text())


class NoAdapterScanner(BaseBleakScanner):
    """A platform without Bluetooth: every scan fails as BlueZ does without an adapter."""

    def __init__(self, detection_callback=None, service_uuids=None, scanning_mode="active", **kwargs):
        super().__init__(detection_callback, service_uuids)

    async def start(self) -> None:
        raise BleakError("No Bluetooth adapters found.")

    async def stop(self) -> None:
        pass

    def set_scanning_filter(self, **kwargs) -> None:
        pass


async def test_a_remembered_sensor_without_bluetooth_says_so_on_the_live_screen():
    settings = Settings(sensor=RememberedSensor("F0:00:00:00:00:01", "Posture1", "reference"))
    transport = BleTransport(scanner_kwargs={"backend": NoAdapterScanner})
    _store_earlier_today(datetime.now(), default_path())
    app = make_app(settings=settings, settings_file=settings_path(), transport=transport)
    async with app.run_test(size=(80, 24)):
        notice = app.live.query_one("#notice")
        await wait_for(lambda: notice.display, timeout_s=15)
        text = str(notice.render())
        assert "Bluetooth is not available" in text and "No Bluetooth adapters found" in text
        assert "posture demo" in text
        assert state_line(app) == "away"
        assert app.screen is app.live  # calibration waits for readings instead of hanging
        assert "slouch episodes    2" in str(app.live.query_one("#today").render())  # from the history


def _store_earlier_today(now: datetime, path) -> None:
    """Two episodes (one alerted) and their alert, as an earlier run stored them: an
    hour ago, or from just after midnight in the first hour of the day (an hour ago
    was yesterday then)."""
    store = HistoryStore(path)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    t = max(now.timestamp() - 3600, midnight.timestamp() + 1)
    store.write(
        [
            SessionStarted(t, DEMO_ADDRESS, "Posture1", "reference"),
            Bin(t, 60.0, 50.0, 10.0, 0.0, 0.0, 5.0, 0.0),
            Episode(t + 10, t + 50, 20.0, 17.0, True),
            Alert(t + 40, "slouch", 20.0, True),
            Episode(t + 100, t + 110, 15.0, 14.0, False),
        ]
    )
    store.close()


async def test_today_comes_from_history_and_survives_connecting_from_the_sensor_screen():
    calibrate_demo_sensor()
    app = demo_app()
    _store_earlier_today(datetime.now(), app.history_path)  # the demo keeps its own store
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: state_line(app) == "upright")
        today = lambda: str(app.live.query_one("#today").render())  # noqa: E731
        await wait_for(lambda: "slouch episodes    2" in today())
        assert "alerts             1" in today()
        chart = app.live.query_one(FlexionChart)
        await wait_for(lambda: len(chart.points) >= 2)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, SensorScreen) and app.screen.found, timeout_s=10)
        await pilot.press("enter")
        await wait_for(lambda: not isinstance(app.screen, SensorScreen))
        await wait_for(lambda: app.link_state is LinkState.STREAMING)
        before = chart.points[-1][0]
        await wait_for(lambda: chart.points[-1][0] >= before + 2, timeout_s=10)  # the chart keeps running
        assert "slouch episodes    2" in today()
        assert chart.now_s == chart.points[-1][0]


async def test_the_chart_opens_with_the_minutes_an_earlier_run_stored():
    """A window opened a few minutes after the tracker (or an earlier window) stopped
    shows those minutes, not "no posture data"; older time is left out."""
    calibrate_demo_sensor()
    app = demo_app()
    now = datetime.now().timestamp()
    store = HistoryStore(app.history_path)
    store.write(
        [
            SessionStarted(now - 1200, DEMO_ADDRESS, "Posture1", "reference"),
            Bin(now - 1200, 5.0, 5.0, 0.0, 0.0, 0.0, 30.0, 0.0),  # 20 minutes ago: off the chart
            Bin(now - 300, 5.0, 5.0, 0.0, 0.0, 0.0, 4.0, 0.0),
            Bin(now - 295, 5.0, 0.0, 5.0, 0.0, 0.0, 22.0, 0.0),
            Bin(now - 290, 5.0, 0.0, 0.0, 5.0, 0.0, None, None),  # moving: nothing to plot
        ]
    )
    store.close()
    async with app.run_test(size=(100, 30)):
        chart = app.live.query_one(FlexionChart)
        await wait_for(lambda: bool(chart.points))
        stored = [p for p in chart.points if p[0] < now]
        assert [round(p[0] - now) for p in stored] == list(range(-300, -290))
        assert [p[1] for p in stored] == [4.0] * 5 + [22.0] * 5
        assert "no posture data" not in str(chart.render())


def test_the_chart_is_ten_minutes_of_wall_time_with_minute_marks():
    chart = FlexionChart()
    now = 1_000_000.0
    chart.show([(now - 60 + s, 5.0) for s in range(60)], now, 12.0)
    columns = chart.columns(60)
    assert all(value is None for value in columns[:53])  # one minute fills a tenth
    assert all(value == 5.0 for value in columns[-5:])
    axis = str(chart.axis(60))
    assert axis.startswith("-10m") and axis.endswith("now") and "-4m" in axis


async def test_the_calibration_lean_is_not_plotted():
    from textual.app import App

    from companion.ui.live_screen import LiveScreen

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(LiveScreen())

    app = Host()
    async with app.run_test(size=(100, 30)):
        live = app.screen
        tally = DayTally()
        states = (
            [(EngineState.CALIBRATING, 0.0)] * 5 + [(EngineState.SLOUCHING, 20.0)] * 2 + [(EngineState.UPRIGHT, 9.0)]
        )
        states += [(EngineState.UPRIGHT, 2.0)] * 3
        for second, (state, flexion) in enumerate(states):
            snap = PostureSnapshot(float(second), flexion, 0.0, Activity.STILL, state, 0.0, 30.0)
            live.show_snapshot(snap, tally, at_s=1000.0 + second)
        values = [value for _at, value in live.query_one(FlexionChart).points]
        assert values == [2.0, 2.0, 2.0]


async def test_a_flexion_just_below_zero_reads_0_not_minus_0():
    from textual.app import App
    from textual.widgets import Digits

    from companion.ui.live_screen import LiveScreen

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(LiveScreen())

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        live = app.screen
        shown = []
        for second, flexion in enumerate((-0.3, -0.6, 0.4)):
            snap = PostureSnapshot(float(second), flexion, 0.0, Activity.STILL, EngineState.UPRIGHT, 0.0, 30.0)
            live.show_snapshot(snap, DayTally(), at_s=1000.0 + second)
            await pilot.pause()
            shown.append(live.query_one("#flexion", Digits).value)
        assert shown == ["0°", "-1°", "0°"]


async def test_a_closed_terminal_writes_the_open_episode_and_ends_the_session():
    async with slouching_demo() as (app, _pilot):
        await wait_for(lambda: state_line(app).startswith("alerted"), timeout_s=20)
        os.kill(os.getpid(), signal.SIGHUP)  # the terminal window closes
        await wait_for(lambda: app._exit_renderables is not None or not app.is_running, timeout_s=10)
    store = HistoryStore(app.history_path, readonly=True)
    episodes = store.episodes(0, 1e12)
    ended = store.db.execute("SELECT ended_at FROM sessions").fetchall()
    alerts = store.alerts(0, 1e12)
    store.close()
    assert len(episodes) == 1 and episodes[0][1].alerted
    assert len(alerts) == 1
    assert ended and all(row[0] is not None for row in ended)


def test_a_session_left_open_by_a_crash_ends_at_what_was_stored():
    store = HistoryStore(default_path())
    t = 1_700_000_000.0
    store.write(
        [
            SessionStarted(t, DEMO_ADDRESS, "Posture1", "reference"),
            Bin(t, 60.0, 60.0, 0.0, 0.0, 0.0, 3.0, 0.0),
            Alert(t + 70, "slouch", 22.0, True),
        ]
    )
    store.write([SessionStarted(t + 10_000, DEMO_ADDRESS, "Posture1", "reference")])  # running elsewhere
    assert store.close_stale_sessions(t + 10_030, stale_s=300) == 1
    rows = store.db.execute("SELECT ended_at FROM sessions ORDER BY id").fetchall()
    store.close()
    assert rows == [(t + 70,), (None,)]


async def test_the_app_ends_sessions_a_crash_left_open_without_opening_the_history_on_its_thread(monkeypatch):
    """The history is opened for writing on the writer's thread only (with a year of
    history its check takes half a second): the app's start never waits for that."""
    app = demo_app()
    t = datetime.now().timestamp() - 86400
    store = HistoryStore(app.history_path)
    store.write([SessionStarted(t, DEMO_ADDRESS, "Posture1", "reference"), Alert(t + 70, "slouch", 22.0, True)])
    store.close()
    opened_on: list[str] = []
    real_init = HistoryStore.__init__

    def watched(self, path, *, readonly=False, check=True):
        if not readonly:
            opened_on.append(threading.current_thread().name)
        real_init(self, path, readonly=readonly, check=check)

    monkeypatch.setattr(HistoryStore, "__init__", watched)
    async with app.run_test(size=(100, 30)):
        assert app.history is not None and app.history.flush(5.0)
        store = HistoryStore(app.history_path, readonly=True)
        ended = store.db.execute("SELECT ended_at FROM sessions ORDER BY id").fetchall()
        store.close()
    assert ended[0] == (t + 70,)
    assert opened_on and set(opened_on) == {"history-writer"}


def _rotation(pitch_deg: np.ndarray, rate_hz: float) -> list[ImuReading]:
    """A pure rotation of gravity about the sensor's y axis, with the matching gyro
    (sensor z up when upright, x forward)."""
    pitch = np.radians(pitch_deg)
    gyro = np.gradient(pitch_deg) * rate_hz
    return [
        ImuReading(i / rate_hz, (float(np.sin(p)), 0.0, float(np.cos(p))), (0.0, float(g), 0.0), i)
        for i, (p, g) in enumerate(zip(pitch, gyro))
    ]


FRAME = BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0))


def test_standing_up_restarts_the_sitting_timer():
    rate = 50.0
    seconds = lambda s: np.zeros(int(s * rate))  # noqa: E731
    rise = 45.0 * np.sin(np.linspace(0, np.pi, int(1.2 * rate)))  # forward and back up in 1.2 s
    pitch = np.concatenate([seconds(120), rise, seconds(30)])
    readings = _rotation(pitch, rate)
    engine = PostureEngine(EngineSettings(), rate_hz=rate, frame=FRAME)
    tally = DayTally()
    before_rise = None
    for start in range(0, len(readings), 5):
        engine.process(readings[start : start + 5])
        tally.add(engine.snapshot)
        if before_rise is None and engine.snapshot.t_s >= 119.5:
            before_rise = tally.sitting_for_s(engine.snapshot.t_s)
    assert before_rise is not None and before_rise > 100
    assert tally.sitting_for_s(engine.snapshot.t_s) < 31


def test_a_glance_forward_does_not_restart_the_sitting_timer():
    rate = 50.0
    nod = 15.0 * np.sin(np.linspace(0, np.pi, int(0.8 * rate)))
    pitch = np.concatenate([np.zeros(int(60 * rate)), nod, np.zeros(int(10 * rate))])
    engine = PostureEngine(EngineSettings(), rate_hz=rate, frame=FRAME)
    tally = DayTally()
    readings = _rotation(pitch, rate)
    for start in range(0, len(readings), 5):
        engine.process(readings[start : start + 5])
        tally.add(engine.snapshot)
    assert tally.sitting_for_s(engine.snapshot.t_s) > 65


def test_stretch_texts_read_plainly():
    from companion.coach.stretches import CATALOGUE

    rotation = CATALOGUE[StretchKind.TRUNK_ROTATION]
    assert rotation.tender_variant.startswith("If your upper back is tender")
    assert (
        StretchResult(StretchKind.BALANCE_CHECK, 20.0, lateral_rest_deg=-0.3).rest_lean_text()
        == "No side lean at rest (under 1°)."
    )
    assert "3° to the left" in StretchResult(StretchKind.BALANCE_CHECK, 20.0, lateral_rest_deg=-3.2).rest_lean_text()


async def test_a_stretch_result_stays_until_dismissed():
    from companion.coach.stretches import BALANCE_PLAN, GuidedStretch
    from companion.ui.stretch_screen import StretchScreen
    from tests.test_snapshots import StillLifeApp

    class Still(StillLifeApp):
        def start_stretch(self, plan):
            return GuidedStretch(plan, (0.0, 0.0, 1.0))

        def finish_stretch(self, result, *, by_hand):
            self.finished = result

    app = Still()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = StretchScreen(BALANCE_PLAN.kind.value)
        await app.push_screen(screen)
        await pilot.pause()
        timers = len(screen._timers)
        seen = StretchResult(StretchKind.BALANCE_CHECK, 20.0, 40.0, 38.0, None, 0.2, seen_by_sensor=True)
        screen.guided.result = lambda now: seen
        screen._finish(1000.0)
        await pilot.pause()
        assert len(screen._timers) == timers  # nothing scheduled to close it
        assert app.screen is screen
        shown = str(screen.query_one("#stretch-step").render())
        assert "Enter or Esc closes" in shown and "No side lean at rest" in shown
        variant = str(screen.query_one("#stretch-variant").render())
        assert "arms out" not in variant
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


@pytest.mark.parametrize("seen", [True, False])
async def test_mark_done_by_hand_is_offered_only_for_a_stretch_the_sensor_did_not_see(seen):
    from companion.coach.stretches import BALANCE_PLAN, GuidedStretch
    from companion.ui.stretch_screen import StretchScreen
    from tests.test_snapshots import StillLifeApp

    class Still(StillLifeApp):
        def __init__(self) -> None:
            super().__init__()
            self.finished: list[bool] = []

        def start_stretch(self, plan):
            return GuidedStretch(plan, (0.0, 0.0, 1.0))

        def finish_stretch(self, result, *, by_hand):
            self.finished.append(by_hand)

    def offered(screen) -> bool:
        return any(b.binding.action == "done_by_hand" and b.enabled for b in screen.active_bindings.values())

    app = Still()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = StretchScreen(BALANCE_PLAN.kind.value)
        await app.push_screen(screen)
        await pilot.pause()
        assert not offered(screen)  # under way: nothing to mark yet
        result = StretchResult(StretchKind.BALANCE_CHECK, 20.0, 40.0, 38.0, None, 0.2, seen_by_sensor=seen)
        screen.guided.result = lambda now: result
        screen._finish(1000.0)
        await pilot.pause()
        assert offered(screen) is not seen
        await pilot.press("d")
        await pilot.pause()
        assert app.finished == ([False] if seen else [False, True])


async def test_the_note_dialog_shows_its_whole_title_at_80_columns():
    from companion.ui.history_screen import NoteScreen
    from tests.test_snapshots import StillLifeApp

    app = StillLifeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(NoteScreen(""))
        await pilot.pause()
        console = Console(width=80, height=24, file=io.StringIO(), record=True, color_system=None)
        console.print(app.screen._compositor.render_update(full=True))
        assert "Note for this episode (Enter saves, Esc cancels)" in console.export_text()  # not cut off


async def test_todays_numbers_start_again_after_midnight():
    from datetime import timedelta

    from companion.ui.messages import PostureUpdated

    calibrate_demo_sensor()
    now = [datetime(2026, 3, 2, 23, 59, 50)]
    app = make_app(demo=True, settings=Settings(), clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: state_line(app) == "upright")
        app.tally.episodes = 3
        now[0] += timedelta(seconds=20)
        snapshot = app.session.engine.snapshot
        app.post_message(PostureUpdated(snapshot, now[0].timestamp()))
        await pilot.pause()
        assert app.tally.episodes == 0 and app.session.tally is app.tally
        assert "slouch episodes    0" in str(app.live.query_one("#today").render())
