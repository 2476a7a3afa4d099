"""Benchmarks: each prints metrics (name, value, unit); none asserts anything.

Run ``python -m benchmarks [NAME ...] [--json]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    unit: str
    note: str = ""

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "value": round(self.value, 6), "unit": self.unit}
        if self.note:
            out["note"] = self.note
        return out


Benchmark = Callable[[], Iterator[Metric]]


def registry() -> dict[str, Benchmark]:
    from . import cli, engine, habit, history, link, realdata, stretch, tracker, ui

    return {
        "link": link.run,
        "engine": engine.run,
        "history": history.run,
        "stretch": stretch.run,
        "ui": ui.run,
        "habit": habit.run,
        "tracker": tracker.run,
        "realdata": realdata.run,
        "cli": cli.run,
    }
