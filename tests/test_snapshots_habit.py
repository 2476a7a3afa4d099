"""SVG snapshots of the habit layer on screen at 80x24 and 120x36: the history screen
with the week, month and hour-of-day charts over two weeks of wear, and the live
screen with the day's goal, score and streak. Review a changed snapshot in the
report before updating it with --snapshot-update."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from habit_history import write_day
from test_habit_weeks import MONDAY, WEEKS

from companion.history import HistoryStore
from companion.history.today import habit_today
from companion.plan_file import builtin_plan
from companion.ui.history_screen import HistoryScreen
from tests.test_snapshots import StillLifeApp

SIZES = [(80, 24), (120, 36)]
LAST = MONDAY + timedelta(days=13)


def two_weeks(path: Path) -> Path:
    store = HistoryStore(path)
    for offset, ((worn, slouches, stretches), *_rest) in enumerate(WEEKS):
        if worn:
            write_day(store, MONDAY + timedelta(days=offset), worn, slouch_min=slouches, stretches=stretches)
    store.close()
    return path


class HabitStillLife(StillLifeApp):
    def __init__(self, then: str, history_path: Path) -> None:
        super().__init__()
        self.then_screen = then
        self.history_path = history_path

    async def on_mount(self, event) -> None:
        event.prevent_default()
        await self.still_life()
        self.live.show_habit(habit_today(self.history_path, LAST, builtin_plan()))
        if self.then_screen == "history":
            await self.push_screen(HistoryScreen(self.history_path, LAST))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_history_with_charts(snap_compare, size, tmp_path):
    app = HabitStillLife("history", two_weeks(tmp_path / "history.sqlite3"))

    async def loaded(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_with_the_days_goal(snap_compare, size, tmp_path):
    assert snap_compare(HabitStillLife("", two_weeks(tmp_path / "history.sqlite3")), terminal_size=size)


def test_the_goal_on_the_live_screen_counts_todays_wear(tmp_path):
    habit = habit_today(two_weeks(tmp_path / "history.sqlite3"), LAST, builtin_plan())
    assert habit is not None
    assert (habit.goal_s, habit.worn_today_s, habit.streak_days, habit.score_today) == (3600, 1800, 6, 100)
