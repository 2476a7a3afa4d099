"""The habit layer over a year of history: today's plan status (posture plan)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from companion.commands.plan import habit_from_history
from companion.history import HistoryStore
from companion.history.synthetic import synthetic_days
from companion.plan_file import builtin_plan

from . import Metric


def run() -> Iterator[Metric]:
    today = date(2026, 11, 20)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        previous = os.environ.get("POSTURE_HOME")
        os.environ["POSTURE_HOME"] = str(home)
        try:
            store = HistoryStore(home / "data" / "history.sqlite3")
            records = list(synthetic_days(today, 365))
            for i in range(0, len(records), 20000):
                store.write(records[i : i + 20000])
            store.close()
            plan = builtin_plan()
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                status = habit_from_history(plan, today, "training")
                timings.append(time.perf_counter() - started)
        finally:
            if previous is None:
                os.environ.pop("POSTURE_HOME", None)
            else:
                os.environ["POSTURE_HOME"] = previous
    yield Metric(
        "plan_status_year_ms",
        1000 * statistics.median(timings),
        "ms",
        f"365 days of history, {len(status.days)} days replayed, goal <= 200",
    )
