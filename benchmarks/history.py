"""History size per wear day, the year report, opening the history screen, and what
a kill -9 costs: a writer killed at random moments, again and again, on one file."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.evaluation import wearer_readings
from companion.history import HistoryError, HistoryStore
from companion.history.export import collect, to_csv, to_json
from companion.history.report import build_report
from companion.history.synthetic import synthetic_days
from companion.history.writer import HistoryWriter
from companion.live import LiveSession
from companion.settings import Settings
from companion.sim.wearer import SimulatedWearer, workday

from . import Metric

KILL_ITERATIONS = 30

# The app's writer, fed 0.05-s bins in real time; each line on stdout is the end of
# what has been handed over so far (wall-clock seconds).
_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from companion.history.writer import HistoryWriter
    from companion.history.records import Bin, SessionStarted
    writer = HistoryWriter(Path(sys.argv[1])).start()
    t = time.time()
    writer.put(SessionStarted(t, "A", "n", "reference"))
    print(repr(t), flush=True)
    step = 0.05
    while True:
        writer.put(Bin(t, step, step, 0.0, 0.0, 0.0, 3.0, 0.0))
        t += step
        print(repr(t), flush=True)
        time.sleep(max(0.0, t - time.time()))
    """
)


@dataclass(frozen=True, slots=True)
class KillLoopResult:
    iterations: int
    integrity_failures: int  # runs after which PRAGMA integrity_check was not "ok"
    open_failures: int  # runs after which the store would not open again
    losses_s: list[float]  # per run: handed over but not in the file

    @property
    def max_loss_s(self) -> float:
        return max(self.losses_s, default=0.0)


def kill_loop(path: Path, iterations: int = KILL_ITERATIONS, seed: int = 0) -> KillLoopResult:
    """Start a writing process on ``path``, kill -9 it at a random moment, reopen the
    file as the next start would, check it in full; ``iterations`` times on one file."""
    rng = random.Random(seed)
    integrity_failures = open_failures = 0
    losses: list[float] = []
    for _ in range(iterations):
        process = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        started = float(process.stdout.readline())
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        handed = [started] + [float(line) for line in process.communicate()[0].split()]
        try:
            store = HistoryStore(path)
        except (HistoryError, sqlite3.Error):
            open_failures += 1
            continue
        try:
            if store.db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                integrity_failures += 1
            row = store.db.execute("SELECT MAX(start + seconds) FROM bins WHERE start >= ?", (started,)).fetchone()
        except sqlite3.DatabaseError:
            integrity_failures += 1
            continue
        finally:
            store.close()
        stored_end = row[0] if row and row[0] is not None else started
        losses.append(max(0.0, max(handed) - stored_end))
    return KillLoopResult(iterations, integrity_failures, open_failures, losses)


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
        yield Metric(
            "history_bytes_per_wear_day", _wear_day_bytes(folder) / 1e6, "MB", "one simulated 8-hour workday, goal <= 2"
        )

        year = folder / "year.sqlite3"
        today = date(2026, 11, 20)
        store = HistoryStore(year)
        records = list(synthetic_days(today, 365))
        for i in range(0, len(records), 20000):
            store.write(records[i : i + 20000])
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        yield Metric("history_year_file_size", year.stat().st_size / 1e6, "MB", "365 days, weekdays worn 8 h")

        opens = []
        for _ in range(3):
            started = time.perf_counter()
            HistoryStore(year).close()
            opens.append(time.perf_counter() - started)
        yield Metric(
            "history_open_year", statistics.median(opens) * 1000, "ms", "open with quick_check, a year of history"
        )

        store = HistoryStore(year, readonly=True)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            build_report(store, 365, today)
            timings.append(time.perf_counter() - started)
        store.close()
        yield Metric("history_year_report", statistics.median(timings) * 1000, "ms", "365-day report, goal <= 200")
        yield Metric(
            "history_screen_open", _screen_open_s(year, today) * 1000, "ms", "with a year of history, goal <= 500"
        )

        store = HistoryStore(year, readonly=True)
        started = time.perf_counter()
        data = collect(store, 0.0, today=today)
        store.close()
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        to_json(data)
        yield Metric(
            "history_year_export_json", read_s + time.perf_counter() - started, "s", "posture export of a year as JSON"
        )
        started = time.perf_counter()
        to_csv(data, "bins")
        yield Metric(
            "history_year_export_csv_bins", read_s + time.perf_counter() - started, "s", "its bins (1.5 M) as CSV"
        )

        killed = kill_loop(folder / "killed.sqlite3", KILL_ITERATIONS)
        bad = killed.integrity_failures + killed.open_failures
        yield Metric("history_kill9_bad_files", bad, "runs", f"of {killed.iterations} kill -9 runs, goal 0")
        yield Metric("history_kill9_max_loss", killed.max_loss_s, "s", "largest loss after kill -9, goal <= 2")
        yield Metric(
            "history_kill9_mean_loss", statistics.mean(killed.losses_s or [0.0]), "s", "mean loss after kill -9"
        )


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
                while screen.view is None:  # noqa: ASYNC110 - the screen signals nothing when its view is built
                    await asyncio.sleep(0.001)
                timings.append(time.perf_counter() - started)
                app.pop_screen()
                await asyncio.sleep(0.1)
            return statistics.median(timings)

    os.environ.setdefault("POSTURE_HOME", str(path.parent / "home"))
    return asyncio.run(measure())
