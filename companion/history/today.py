"""Today's numbers as the history holds them: where a window or the tracker starts
counting, so "today" means the calendar day and not "since this program started"."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from ..coach import DayTally
from .store import HistoryError, HistoryStore, open_to_read

if TYPE_CHECKING:
    from ..coach.habit import HabitStatus
    from ..coach.plan import Plan


def today_from_history(path: Path, day: date) -> DayTally:
    """The stored episodes, alerts and worn time of the local ``day``; an empty tally
    when there is no history or it cannot be read (the writer reports that).

    Not checked: its callers, the app and the tracker, start a writer that opens the
    same file and checks it in full, and says so when it is damaged; checking it here
    too cost as long again (half a second for a year of history, on the app's start).
    A damaged page read here still raises, and leaves the tally empty. A history of
    an earlier schema is upgraded first (``open_to_read``): read as it is."""
    if not path.exists():
        return DayTally()
    start = datetime.combine(day, time.min).timestamp()
    end = start + 86400.0
    try:
        store = open_to_read(path, check=False)
    except HistoryError:
        return DayTally()
    try:
        episodes = [episode for _id, episode in store.episodes(start, end)]
        return DayTally.from_history(episodes, store.alerts(start, end), store.bins(start, end))
    except sqlite3.Error:
        return DayTally()
    finally:
        store.close()


def recent_flexion(path: Path, since: float) -> list[tuple[float, float]]:
    """The stored forward flexion from ``since`` (Unix s) on, one point a second of
    each bin's judged time at the bin's mean, oldest first: the live chart's last
    minutes when a window opens after an earlier run (none when unreadable)."""
    if not path.exists():
        return []
    try:
        store = open_to_read(path, check=False)
    except HistoryError:
        return []
    try:
        bins = store.bins(since, float("inf"))
    except sqlite3.Error:
        return []
    finally:
        store.close()
    return [
        (b.start + k, max(0.0, b.mean_flexion_deg))
        for b in bins
        if b.mean_flexion_deg is not None and b.upright_s + b.slouched_s > 0
        for k in range(max(1, round(b.upright_s + b.slouched_s)))
    ]


def habit_today(path: Path, day: date, plan: Plan) -> HabitStatus | None:
    """The plan's status for ``day`` (goal, score, streak) from the history at
    ``path``, for the live screen; None when the history cannot be read."""
    from ..coach.habit import TRACKING, habit_status
    from .days import habit_from_store

    if not path.exists():
        return habit_status(plan, [], day, TRACKING)
    try:
        store = HistoryStore(path, readonly=True, check=False)
    except HistoryError:
        return None
    try:
        return habit_from_store(store, plan, day, TRACKING)
    except sqlite3.Error:
        return None
    finally:
        store.close()


__all__ = ["habit_today", "recent_flexion", "today_from_history"]
