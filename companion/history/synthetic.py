"""Synthetic history: seeded days of plausible wear, for tests and benchmarks.

Days are generated directly as records (bins, episodes, alerts, stretches, balance
checks) so a year takes seconds; the engine is exercised elsewhere.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from .bins import BIN_S
from .records import Alert, BalanceCheck, Bin, Episode, Record, SessionEnded, SessionStarted, Stretch


def synthetic_day(day: date, seed: int, hours: float = 8.0) -> Iterator[Record]:
    rng = random.Random(f"{seed}-{day.isoformat()}")
    start = datetime.combine(day, time(9, 0)).timestamp()
    end = start + hours * 3600
    yield SessionStarted(start, "F0:00:00:00:00:01", "Posture1", "reference")
    t = start
    slouch_until = 0.0
    slouch_start = None
    peak = 0.0
    flexions: list[float] = []
    while t < end:
        if slouch_start is None and rng.random() < 0.004:
            slouch_start, slouch_until = t, t + rng.uniform(30, 400)
            peak, flexions = 0.0, []
        moving = rng.random() < 0.03
        if slouch_start is not None:
            flexion = rng.uniform(13, 25)
            peak = max(peak, flexion)
            flexions.append(flexion)
            yield Bin(t, BIN_S, 0.0, BIN_S, 0.0, 0.0, flexion, rng.uniform(-3, 3))
            if t + BIN_S >= slouch_until:
                alerted = t + BIN_S - slouch_start >= 30
                yield Episode(slouch_start, t + BIN_S, peak, sum(flexions) / len(flexions), alerted)
                if alerted:
                    yield Alert(slouch_start + 30, "slouch", flexions[min(5, len(flexions) - 1)], True)
                slouch_start = None
        elif moving:
            yield Bin(t, BIN_S, 0.0, 0.0, BIN_S, 0.0, None, None)
        else:
            yield Bin(t, BIN_S, BIN_S, 0.0, 0.0, 0.0, rng.uniform(-2, 8), rng.uniform(-3, 3))
        t += BIN_S
    for _ in range(rng.randint(1, 4)):
        at = start + rng.uniform(0.1, 0.9) * hours * 3600
        by_sensor = rng.random() < 0.8
        yield Stretch(
            at,
            "trunk_rotation",
            "sensor" if by_sensor else "hand",
            rng.uniform(40, 80),
            rng.uniform(35, 55) if by_sensor else None,
            rng.uniform(35, 55) if by_sensor else None,
            None,
        )
    if day.toordinal() % 3 == 0:
        yield BalanceCheck(end - 600, rng.uniform(38, 52), rng.uniform(38, 52), rng.uniform(-4, 4))
    yield SessionEnded(end)


def synthetic_days(last_day: date, days: int, seed: int = 0) -> Iterator[Record]:
    first = last_day - timedelta(days=days - 1)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() < 5:
            yield from synthetic_day(day, seed)
