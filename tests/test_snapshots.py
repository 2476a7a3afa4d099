"""SVG snapshots of the main screens at 100x30 (pytest-textual-snapshot).

Every run draws the same, whatever the host: fixed data instead of a live link, a
simulated sensor instead of this machine's Bluetooth, the virtual clock instead of
real waits, and Textual's defaults instead of the terminal settings in the
environment (NO_COLOR, TEXTUAL_*).

Review a changed snapshot in the report before updating it with --snapshot-update.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path

import pytest
import textual.constants
from textual import events
from textual.widgets import Input

from companion.ble.transport import BleTransport
from companion.coach import DayTally
from companion.engine import Activity, EngineState, PostureSnapshot
from companion.link import LinkState, LinkStats
from companion.settings import Settings
from companion.sim import ReferenceSensor, VirtualRadio
from companion.ui.app import PostureApp
from companion.ui.calibration_screen import CalibrationScreen
from companion.ui.sensor_screen import SensorScreen
from companion.ui.settings_screen import SettingsScreen

SIZE = (100, 30)
FIXED_SETTINGS_FILE = Path("/home/you/.config/posture/settings.toml")


@pytest.fixture(autouse=True)
def default_terminal(monkeypatch, virtual_time):
    """Textual as configured by an empty environment, for the length of one test."""
    with monkeypatch.context() as env:
        for name in list(os.environ):
            if name == "NO_COLOR" or (name.startswith("TEXTUAL") and not name.startswith("TEXTUAL_SNAPSHOT")):
                env.delenv(name)
        importlib.reload(textual.constants)  # it reads the environment once, on import
        yield
    importlib.reload(textual.constants)


class StillLifeApp(PostureApp):
    """The app with fixed data instead of a live link, so every run draws the same."""

    def __init__(self, then: str = "") -> None:
        super().__init__(settings=Settings(), settings_file=FIXED_SETTINGS_FILE)
        self.theme = "textual-dark"  # not the host's TEXTUAL_THEME
        self.then = then
        self.sensor: ReferenceSensor | None = None

    async def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not PostureApp.on_mount: no history, no link, no sensor screen
        await self.still_life()

    async def still_life(self) -> None:
        await self.push_screen(self.live)
        self.live.set_thresholds(12.0, 8.0)
        tally = DayTally(
            tracked_s=5400,
            upright_s=4300,
            slouched_s=700,
            moving_s=400,
            episodes=4,
            alerts=2,
            lean_alerts=1,
            sitting_since_s=0.0,
        )
        flexion = [2, 3, 2, 4, 6, 9, 13, 15, 17, 16, 14, 9, 4, 2, 1, 0, -3, -2, 1, 2] * 6
        for second, value in enumerate(flexion):
            snap = PostureSnapshot(1400.0 + second, float(value), 1.5, Activity.STILL, EngineState.UPRIGHT, 0.0, 30.0)
            self.live.show_snapshot(snap, tally)
        now = PostureSnapshot(1520.0, 16.4, -3.2, Activity.STILL, EngineState.SLOUCHING, 12.0, 30.0)
        self.live.show_snapshot(now, tally)
        info = {"name": "Posture1", "kind": "reference", "battery": 76, "rate_hz": 50}
        self.live.show_link(LinkState.STREAMING, "", info, LinkStats(received=270000, lost=54, malformed=2))
        if self.then == "calibration":
            await self.push_screen(CalibrationScreen())
        elif self.then == "settings":
            screen = SettingsScreen()
            await self.push_screen(screen)
            # A blinking cursor is drawn or not by when the picture is taken.
            for field in screen.query(Input):
                field.cursor_blink = False
        elif self.then == "sensors":
            # One simulated sensor in range, not whatever this machine's Bluetooth sees.
            self.sensor = ReferenceSensor(VirtualRadio(), name="Posture1")
            await self.sensor.start()
            self.transport = BleTransport.virtual(self.sensor.radio)
            await self.push_screen(SensorScreen())

    async def on_unmount(self) -> None:
        if self.sensor is not None:
            with contextlib.suppress(Exception):
                await self.sensor.stop()

    def start_calibration(self) -> None:  # no engine behind the still life
        pass


def test_live_screen(snap_compare):
    assert snap_compare(StillLifeApp(), terminal_size=SIZE)


def test_calibration_screen(snap_compare):
    assert snap_compare(StillLifeApp("calibration"), terminal_size=SIZE)


def test_settings_screen(snap_compare):
    assert snap_compare(StillLifeApp("settings"), terminal_size=SIZE)


def test_sensor_screen(snap_compare):
    async def scanned(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(StillLifeApp("sensors"), terminal_size=SIZE, run_before=scanned)
