"""History size per wear day, the year report, and opening the history screen."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from companion.evaluation import wearer_readings
from companion.history import HistoryStore
from companion.history.report import build_report
from companion.history.synthetic import synthetic_days
from companion.history.writer import HistoryWriter
from companion.live import LiveSession
from companion.settings import Settings
from firmware_protocol.sim.wearer import SimulatedWearer, workday

from . import Metric


def _wear_day_bytes(folder: Path) -> float:
    """A simulated 8-hour workday through the live session into a fresh history."""
    path = folder / "day.sqlite3"
    wearer = SimulatedWearer(workday(5, 8.0), seed=5)
    wall0 = datetime(2026, 11, 20, 9, 0)
    clock = {"t": 0.0}
    session = LiveSession(Settings(), clock=lambda: wall0 + timedelta(seconds=clock["t"]))
    session.engine.start_calibration()
    writer = HistoryWriter(path).start()
    writer.put(session.start_record("F0:00:00:00:00:01", "Posture1", "reference"))
    for chunk in wearer_readings(wearer):
        for i in range(0, len(chunk), 10):
            clock["t"] = chunk[i].t_s
            for record in session.feed(chunk[i : i + 10]).records:
                writer.put(record)
    for record in session.end_records():
        writer.put(record)
    writer.close()
    store = HistoryStore(path)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path.stat().st_size


def run() -> Iterator[Metric]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        yield Metric("history_bytes_per_wear_day", _wear_day_bytes(folder) / 1e6, "MB", "one simulated 8-hour workday, goal <= 2")

        year = folder / "year.sqlite3"
        today = date(2026, 11, 20)
        store = HistoryStore(year)
        records = list(synthetic_days(today, 365))
        for i in range(0, len(records), 20000):
            store.write(records[i : i + 20000])
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        yield Metric("history_year_file_size", year.stat().st_size / 1e6, "MB", "365 days, weekdays worn 8 h")

        store = HistoryStore(year, readonly=True)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            build_report(store, 365, today)
            timings.append(time.perf_counter() - started)
        store.close()
        yield Metric("history_year_report", statistics.median(timings) * 1000, "ms", "365-day report, goal <= 200")
        yield Metric("history_screen_open", _screen_open_s(year, today) * 1000, "ms", "with a year of history, goal <= 500")


def _screen_open_s(path: Path, day: date) -> float:
    from companion.ui.app import PostureApp
    from companion.ui.history_screen import HistoryScreen

    async def measure() -> float:
        app = PostureApp(settings=Settings(), settings_file=path.with_suffix(".toml"), history_path=path)
        async with app.run_test(size=(100, 30)):
            await asyncio.sleep(0.5)
            timings = []
            for _ in range(5):
                screen = HistoryScreen(path, day)
                started = time.perf_counter()
                app.push_screen(screen)
                while screen.view is None:
                    await asyncio.sleep(0.001)
                timings.append(time.perf_counter() - started)
                app.pop_screen()
                await asyncio.sleep(0.1)
            return statistics.median(timings)

    os.environ.setdefault("POSTURE_HOME", str(path.parent / "home"))
    return asyncio.run(measure())
