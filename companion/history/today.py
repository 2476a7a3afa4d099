"""Today's numbers as the history holds them: where a window or the tracker starts
counting, so "today" means the calendar day and not "since this program started"."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time
from pathlib import Path

from ..coach import DayTally
from .store import HistoryError, HistoryStore


def today_from_history(path: Path, day: date) -> DayTally:
    """The stored episodes, alerts and worn time of the local ``day``; an empty tally
    when there is no history or it cannot be read (the writer reports that)."""
    if not path.exists():
        return DayTally()
    start = datetime.combine(day, time.min).timestamp()
    end = start + 86400.0
    try:
        store = HistoryStore(path, readonly=True)
    except HistoryError:
        return DayTally()
    try:
        episodes = [episode for _id, episode in store.episodes(start, end)]
        return DayTally.from_history(episodes, store.alerts(start, end), store.bins(start, end))
    except sqlite3.Error:
        return DayTally()
    finally:
        store.close()


__all__ = ["today_from_history"]
