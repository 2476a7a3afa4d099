"""SVG snapshots of the live, help, settings and history screens at the two
terminal sizes people use most: 80x24 (the smallest the app is laid out for) and
120x36. Review a changed snapshot before updating it with --snapshot-update."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from textual.widgets import Input

from companion.history import HistoryStore
from companion.history.records import Alert, BalanceCheck, Bin, Episode, SessionStarted, Stretch
from companion.ui.help_screen import HelpScreen
from companion.ui.history_screen import HistoryScreen
from companion.ui.settings_screen import SettingsScreen
from tests.test_snapshots import StillLifeApp

SIZES = [(80, 24), (120, 36)]
DAY = date(2026, 3, 2)


class SizedStillLife(StillLifeApp):
    def __init__(self, then: str, history_path: Path | None = None) -> None:
        super().__init__()
        self.then_screen = then
        if history_path is not None:
            self.history_path = history_path

    async def on_mount(self, event) -> None:
        event.prevent_default()
        await self.still_life()
        self.live.show_demo_keys(self.DEMO_KEYS)
        if self.then_screen == "help":
            await self.push_screen(HelpScreen())
        elif self.then_screen == "settings":
            screen = SettingsScreen()
            await self.push_screen(screen)
            # A blinking cursor is drawn or not by when the picture is taken.
            for field in screen.query(Input):
                field.cursor_blink = False
        elif self.then_screen == "history":
            await self.push_screen(HistoryScreen(self.history_path, DAY))


def fixed_history(path: Path) -> Path:
    """A morning of wear on DAY: two episodes (one alerted), a stretch, a balance check."""
    at = lambda hour, minute: datetime(DAY.year, DAY.month, DAY.day, hour, minute).timestamp()  # noqa: E731
    records = [SessionStarted(at(9, 0), "F0:00:00:00:00:01", "Posture1", "reference")]
    for minute in range(90):
        slouched = 40.0 if 20 <= minute < 24 or 61 <= minute < 63 else 0.0
        records.append(Bin(at(9, 0) + 60 * minute, 60.0, 60.0 - slouched, slouched, 0.0, 0.0, 4.0, 0.5))
    records += [
        Episode(at(9, 20), at(9, 24), 21.0, 17.0, True, "long call"),
        Alert(at(9, 20) + 30, "slouch", 19.0, True),
        Episode(at(10, 1), at(10, 3), 16.0, 14.0, False),
        Stretch(at(10, 10), "trunk_rotation", "sensor", 40.0, 42.0, 38.0, None),
        BalanceCheck(at(10, 12), 42.0, 38.0, -1.2),
    ]
    store = HistoryStore(path)
    store.write(records)
    store.close()
    return path


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live(snap_compare, size):
    assert snap_compare(SizedStillLife(""), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, size):
    assert snap_compare(SizedStillLife("help"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_settings(snap_compare, size):
    assert snap_compare(SizedStillLife("settings"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_history(snap_compare, size, tmp_path):
    app = SizedStillLife("history", fixed_history(tmp_path / "history.sqlite3"))

    async def loaded(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=loaded)
