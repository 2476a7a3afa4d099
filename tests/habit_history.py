"""Writing days of wear straight into a real history file, for the habit tests.

Bins of 60 s keep two weeks of wear to a few thousand rows; the rollups, episode
and stretch tables are filled by the store exactly as the tracker fills them.
"""

from __future__ import annotations

from datetime import date, datetime, time

from companion.history import HistoryStore
from companion.history.records import Bin, Episode, SessionEnded, SessionStarted, Stretch

BIN_S = 60.0


def wear_records(
    start_s: float, worn_min: float, slouch_min: tuple[float, ...] = (), stretches: int = 0, moving_min: float = 0.0
):
    """``worn_min`` minutes from ``start_s``: ``moving_min`` moving first, then one slouch
    episode per entry of ``slouch_min`` (whole minutes) spread through the rest, upright otherwise."""
    records: list = [SessionStarted(start_s, "F0:00:00:00:00:01", "Posture1", "reference")]
    minutes = int(worn_min)
    slouch_at: dict[int, int] = {}
    gap = max(1, (minutes - int(moving_min)) // (len(slouch_min) + 1)) if slouch_min else 0
    for index, length in enumerate(slouch_min):
        slouch_at[int(moving_min) + gap * (index + 1)] = int(length)
    minute = 0
    while minute < minutes:
        t = start_s + minute * BIN_S
        if minute < moving_min:
            records.append(Bin(t, BIN_S, 0.0, 0.0, BIN_S, 0.0, None, None))
            minute += 1
        elif minute in slouch_at:
            length = min(slouch_at[minute], minutes - minute)
            for k in range(length):
                records.append(Bin(t + k * BIN_S, BIN_S, 0.0, BIN_S, 0.0, 0.0, 18.0, 0.0))
            records.append(Episode(t, t + length * BIN_S, 20.0, 18.0, True))
            minute += length
        else:
            records.append(Bin(t, BIN_S, BIN_S, 0.0, 0.0, 0.0, 3.0, 0.0))
            minute += 1
    for k in range(stretches):
        records.append(Stretch(start_s + (k + 1) * 60.0, "trunk_rotation", "sensor", 50.0, 45.0, 44.0, None))
    records.append(SessionEnded(start_s + minutes * BIN_S))
    return records


def write_day(
    store: HistoryStore,
    day: date,
    worn_min: float,
    slouch_min: tuple[float, ...] = (),
    stretches: int = 0,
    start: time = time(9, 0),
    moving_min: float = 0.0,
) -> None:
    start_s = datetime.combine(day, start).timestamp()
    store.write(wear_records(start_s, worn_min, slouch_min, stretches, moving_min))
