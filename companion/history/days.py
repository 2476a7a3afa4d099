"""Per-day summaries of the stored history for the training plan and the score.

Read-only. Worn, upright, slouched and moving time come from the day rollups
(local day at the time of writing, so a day spent in another time zone stays the
day it was lived); episodes and stretches are given the local day they started.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..coach.day import DaySummary
from ..coach.habit import HabitStatus, habit_status
from ..coach.plan import Plan
from .store import HistoryStore

_MARGIN_S = 2 * 86400.0  # time-zone changes move a day's edges by up to ~26 h

#: What ``habit_from_store`` reads: the day and hour rollups, episodes, stretches
#: (never the bins, most of a year's file). A read-only store opened for it needs
#: only these checked.
HABIT_TABLES = frozenset({"daily", "hourly", "episodes", "stretches"})


def _day_start_s(day: date) -> float:
    return datetime.combine(day, time.min).timestamp()


def _local_day(at_s: float) -> date:
    return datetime.fromtimestamp(at_s).date()


def first_day(store: HistoryStore) -> date | None:
    """The first local day with any stored time, or None for an empty history."""
    row = store.db.execute("SELECT MIN(day) FROM daily").fetchone()
    if row is None or row[0] is None:
        return None
    try:
        return date.fromisoformat(row[0])
    except ValueError:
        return None


def day_summaries(store: HistoryStore, first: date, last: date) -> list[DaySummary]:
    """One summary per calendar day from ``first`` to ``last`` (both included);
    days without data are present with zero time."""
    if last < first:
        return []
    db = store.db
    since_s = _day_start_s(first) - _MARGIN_S
    until_s = _day_start_s(last + timedelta(days=1)) + _MARGIN_S
    daily = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT day, upright_s, slouched_s, moving_s FROM daily WHERE day >= ? AND day <= ?",
            (first.isoformat(), last.isoformat()),
        )
    }
    slouched_hours: dict[str, list[float]] = {}
    judged_hours: dict[str, list[float]] = {}
    for day, hour, upright, slouched in db.execute(
        "SELECT day, hour, upright_s, slouched_s FROM hourly WHERE day >= ? AND day <= ?",
        (first.isoformat(), last.isoformat()),
    ):
        if 0 <= hour < 24:
            slouched_hours.setdefault(day, [0.0] * 24)[hour] += slouched
            judged_hours.setdefault(day, [0.0] * 24)[hour] += upright + slouched
    episodes: dict[date, list[float]] = {}
    for start, end in db.execute(
        "SELECT start, end FROM episodes WHERE start >= ? AND start < ? ORDER BY start", (since_s, until_s)
    ):
        episodes.setdefault(_local_day(start), []).append(max(0.0, end - start))
    stretches: dict[date, int] = {}
    for (at,) in db.execute("SELECT at FROM stretches WHERE at >= ? AND at < ?", (since_s, until_s)):
        stretches[_local_day(at)] = stretches.get(_local_day(at), 0) + 1
    out = []
    day = first
    while day <= last:
        key = day.isoformat()
        upright, slouched, moving = daily.get(key, (0.0, 0.0, 0.0))
        out.append(
            DaySummary(
                day=day,
                worn_s=upright + slouched + moving,
                upright_s=upright,
                slouched_s=slouched,
                moving_s=moving,
                episode_durations_s=tuple(episodes.get(day, ())),
                stretches=stretches.get(day, 0),
                slouched_by_hour_s=tuple(slouched_hours.get(key, ())),
                judged_by_hour_s=tuple(judged_hours.get(key, ())),
            )
        )
        day += timedelta(days=1)
    return out


def slouch_by_hour(summaries: list[DaySummary]) -> list[float | None]:
    """Share of judged time spent slouched per hour of day (0-23) over ``summaries``;
    None for hours never judged. The data of the heat strip."""
    slouched = [0.0] * 24
    judged = [0.0] * 24
    for summary in summaries:
        for hour, value in enumerate(summary.slouched_by_hour_s):
            slouched[hour] += value
        for hour, value in enumerate(summary.judged_by_hour_s):
            judged[hour] += value
    return [slouched[h] / judged[h] if judged[h] > 0 else None for h in range(24)]


def balance_checks_by_day(store: HistoryStore, first: date, last: date) -> list[tuple[date, float, float]]:
    """``(local day, left_deg, right_deg)`` of each balance check, oldest first: the
    input of :func:`companion.coach.stretches.balance_trend`."""
    checks = store.balance_checks(_day_start_s(first), _day_start_s(last + timedelta(days=1)))
    return [(_local_day(c.at), c.left_rotation_deg, c.right_rotation_deg) for c in checks]


def habit_from_store(store: HistoryStore, plan: Plan, today: date, mode: str) -> HabitStatus:
    """Today's plan status, score and streak over the whole stored history: what
    ``posture plan`` shows, and the habit fields of the report and the screens."""
    first = first_day(store)
    if first is None or first > today:
        return habit_status(plan, [], today, mode)
    return habit_status(plan, day_summaries(store, first, today), today, mode, first)
