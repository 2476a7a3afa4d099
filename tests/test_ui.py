"""The app driven as a user would, with Pilot, against the simulated demo world."""

from __future__ import annotations

import asyncio
import contextlib
import tomllib

import pytest

from companion.body_frames import load_frame, save_frame
from companion.engine import BodyFrame, EngineSettings
from companion.link import LinkState
from companion.paths import data_dir
from companion.settings import Settings, settings_path
from companion.sim.wearer import InteractiveWearer
from companion.ui.app import make_app
from companion.ui.calibration_screen import CalibrationScreen
from companion.ui.sensor_screen import SensorScreen
from companion.ui.settings_screen import SettingsScreen

DEMO_ADDRESS = "F0:00:00:00:00:01"  # the first device on a fresh virtual radio


def calibrate_demo_sensor() -> None:
    """Save the exact body frame of the demo wearer (seed 0), as a past calibration would."""
    save_frame(DEMO_ADDRESS, BodyFrame.from_dict(InteractiveWearer(seed=0).exact_frame()), 0.0, demo_history())


def demo_history():
    """The demo keeps its own history (made-up data never mixes with the person's)."""
    return data_dir() / "demo" / "history.sqlite3"


async def wait_for(predicate, timeout_s: float = 20.0, step_s: float = 0.1) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate.__doc__ or predicate}")
        await asyncio.sleep(step_s)


def state_line(app) -> str:
    return str(app.live.query_one("#state").render())


def state_held(app) -> str:
    """The state the live screen was last given, as it reads it: what it shows once
    it is on view, even while an opaque screen hides it."""
    from companion.ui.widgets import state_text

    return state_text(app.live.snapshot, app.live.linked)[0]


def bad_frames_shown(app) -> int:
    """The count after "bad frames" on the live screen's connection panel."""
    text = str(app.live.query_one("#connection").render())
    return int(text.split("bad frames ", 1)[1].split(maxsplit=1)[0])


def demo_app(delay_s: float = 5, **settings_changes):
    settings = Settings(posture=EngineSettings(delay_s=delay_s), **settings_changes)
    return make_app(demo=True, settings=settings)


@contextlib.asynccontextmanager
async def upright_demo(delay_s: float = 5):
    """The calibrated demo at 100x30, once it reads upright."""
    calibrate_demo_sensor()
    app = demo_app(delay_s=delay_s)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: state_line(app) == "upright")
        yield app, pilot


@contextlib.asynccontextmanager
async def slouching_demo(delay_s: float = 5):
    """The calibrated demo at 100x30, its wearer told to slouch once it reads upright."""
    async with upright_demo(delay_s) as (app, pilot):
        await pilot.press("s")
        yield app, pilot


def test_slouch_counts_up_then_alerts_and_vibrates_then_clears(virtual_time):
    async def scenario():
        async with slouching_demo() as (app, pilot):
            await wait_for(lambda: state_line(app).startswith("slouching"))
            assert "of 00:05" in state_line(app)
            await wait_for(lambda: state_line(app).startswith("alerted"), timeout_s=20)
            assert any("slouching" in n.message for n in app._notifications)
            await wait_for(lambda: app.demo_world.sensor.alert_levels == [1], timeout_s=5)
            assert app.session.tally.alerts == 1
            await pilot.press("u")
            await wait_for(lambda: state_line(app) == "upright", timeout_s=10)

    virtual_time(scenario())


def test_link_drop_shows_reconnecting_and_recovers(virtual_time):
    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: app.link_state is LinkState.STREAMING)
            await pilot.press("x")  # the sensor goes out of range for a few seconds
            await wait_for(lambda: "reconnecting" in str(app.live.query_one("#connection").render()), timeout_s=5)
            assert state_line(app) == "away"
            await wait_for(lambda: app.link_state is LinkState.STREAMING, timeout_s=30)
            connection = str(app.live.query_one("#connection").render())
            # On the state's line: the panel keeps its height (a line more pushed the
            # demo keys off the side column at 80x24).
            assert "streaming · reconnected 1×" in connection.splitlines()
            assert len(connection.splitlines()) == 4
            await wait_for(lambda: state_line(app) == "upright")

    virtual_time(scenario())


def test_calibration_flow_completes_and_is_remembered(virtual_time):
    async def scenario():
        app = demo_app()
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: isinstance(app.screen, CalibrationScreen), timeout_s=5)
            await wait_for(lambda: not isinstance(app.screen, CalibrationScreen), timeout_s=30)
            assert app.session.engine.calibrated
            await wait_for(lambda: state_line(app) == "upright")
        # Stored by the history writer with the sensor it belongs to.
        assert load_frame(DEMO_ADDRESS, demo_history()) is not None

    virtual_time(scenario())


def test_snooze_holds_nudges_back_but_keeps_tracking(virtual_time):
    async def scenario():
        calibrate_demo_sensor()
        app = demo_app(delay_s=5)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: state_line(app) == "upright")
            await pilot.press("z")
            await pilot.pause()
            await pilot.press("enter")  # the first choice: 15 minutes
            await wait_for(lambda: app.session.policy.snoozed_until is not None)
            await pilot.press("s")
            await wait_for(lambda: state_line(app).startswith("alerted"), timeout_s=20)
            # Counted as the history counts it: held back, not delivered.
            assert (app.session.tally.alerts, app.session.tally.alerts_held_back) == (0, 1)
            assert next(reason for _, reason in app.session.suppressed).startswith("snoozed")
            await pilot.press("u")
            await wait_for(lambda: state_line(app) == "upright", timeout_s=10)
            [line] = [ln for ln in str(app.live.query_one("#today").render()).splitlines() if ln.startswith("alerts")]
            assert line.split() == ["alerts", "(1", "held)", "0"]
            assert app.demo_world.sensor.alert_levels == []
            assert "snoozed" in str(app.live.query_one("#nudge-status").render())

    virtual_time(scenario())


def test_settings_screen_names_bad_values_and_saves_good_ones(virtual_time):
    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("comma")
            await wait_for(lambda: isinstance(app.screen, SettingsScreen))
            field = app.screen.query_one("#field-posture-threshold_deg")
            field.value = "80"
            await pilot.press("ctrl+s")
            await pilot.pause()
            error = str(app.screen.query_one("#field-posture-threshold_deg-error").render())
            assert "80 is not allowed: a number from 5 to 40" in error
            field.value = "15"
            await pilot.press("ctrl+s")
            await wait_for(lambda: not isinstance(app.screen, SettingsScreen))
            saved = tomllib.loads(settings_path().read_text())
            assert saved["posture"]["threshold_deg"] == 15
            assert app.session.engine.settings.threshold_deg == 15

    virtual_time(scenario())


def test_sensor_screen_lists_connects_and_remembers(virtual_time):
    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: app.link_state is LinkState.STREAMING)
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, SensorScreen) and app.screen.found, timeout_s=10)
            assert app.screen.found[0].address == DEMO_ADDRESS
            link = app.link
            await pilot.press("enter")
            await wait_for(lambda: not isinstance(app.screen, SensorScreen))
            # A simulated sensor is connected but never remembered (tests/test_ui_daily.py).
            assert not settings_path().exists()
            await wait_for(lambda: app.link_state is LinkState.STREAMING)
            assert app.link is link  # the sensor already connected: the link was kept, not dropped

    virtual_time(scenario())


def test_garbage_from_the_sensor_is_counted_not_fatal(virtual_time):
    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: app.link_state is LinkState.STREAMING)
            app.demo_world.sensor.faults.corrupt_rate = 0.5
            await wait_for(lambda: app.link is not None and app.link.stats.malformed >= 3, timeout_s=10)
            received = app.link.stats.received
            await asyncio.sleep(2.0)
            # The screen shows how many frames were dropped, and readings keep coming.
            await wait_for(lambda: bad_frames_shown(app) >= 3, timeout_s=5)
            assert bad_frames_shown(app) <= app.link.stats.malformed
            assert app.link.stats.received > received
            assert app.link_state is LinkState.STREAMING and app.link.stats.reconnects == 0
            assert state_line(app) == "upright"

    virtual_time(scenario())


def test_second_slouch_alert_offers_a_stretch(virtual_time):
    async def scenario():
        from companion.settings import NudgeSettings

        calibrate_demo_sensor()
        app = demo_app(delay_s=5, nudges=NudgeSettings(training_mode=True, desktop=False))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: state_line(app) == "upright")
            for _ in range(2):
                await pilot.press("s")
                await wait_for(lambda: state_line(app).startswith("alerted"), timeout_s=25)
                await pilot.press("u")
                await wait_for(lambda: state_line(app) == "upright", timeout_s=15)
            titles = [n.title for n in app._notifications]  # the first alert's toast may have gone
            assert app.session.tally.alerts == 2
            assert "Time to stretch" in titles
            assert any("press r" in n.message for n in app._notifications)

    virtual_time(scenario())


@pytest.mark.parametrize("keys", [("c",), ("r", "enter")])
def test_a_slouch_cut_short_by_calibration_or_a_stretch_is_kept_in_the_history(virtual_time, keys):
    """Calibrating (c) or starting a stretch (r, enter) mid-slouch rests detection:
    the episode ends there, and the history keeps it as the day's panel counts it."""

    async def scenario():
        from companion.history import HistoryStore

        async with slouching_demo() as (app, pilot):
            await wait_for(lambda: state_line(app).startswith("alerted"), timeout_s=30)
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
            await wait_for(lambda: app.session.engine.detector.onset_s is None, timeout_s=5)
            app.history.flush()
            store = HistoryStore(app.history_path, readonly=True)
            [(_id, episode)] = store.episodes(0, 1e12)
            assert episode.alerted and episode.peak_deg > 15
            assert app.session.tally.episodes == 1

    virtual_time(scenario())


def test_a_measured_stretch_is_recorded_in_the_history(virtual_time):
    async def scenario():
        from companion.history import HistoryStore
        from companion.ui.stretch_screen import StretchScreen

        async with upright_demo() as (app, pilot):
            await pilot.press("r")
            await wait_for(lambda: isinstance(app.screen, StretchScreen))
            await pilot.press("down")  # the shoulder-blade squeeze
            await pilot.press("enter")
            await wait_for(lambda: state_held(app) == "paused", timeout_s=5)
            screen = app.screen
            await wait_for(lambda: screen.result is not None, timeout_s=45)
            assert screen.result.seen_by_sensor
            assert 6 <= screen.result.extension_deg <= 14  # the demo wearer leans back 10 deg
            app.history.flush()
            store = HistoryStore(app.history_path, readonly=True)
            [stretch] = store.stretches(0, 1e12)
            assert (stretch.kind, stretch.completed_by) == ("shoulder_squeeze", "sensor")
            await wait_for(lambda: state_held(app) == "upright", timeout_s=15)
            await pilot.press("escape")
            await wait_for(lambda: state_line(app) == "upright", timeout_s=2)

    virtual_time(scenario())
