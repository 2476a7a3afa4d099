"""Daily reports from the history: upright share, episodes, alerts, longest slouch,
stretches, and the hour of day when slouching is most common.

Time worn comes only from the stored bins (upright + slouched + moving): a gap in
the data (sensor off, out of range, taken off) is never stored as worn, so it
counts as not worn however long the session around it lasted. Alerts are counted
as delivered (they reached the wearer) and held back (quiet mode, snooze, quiet
hours, the alert budget) separately.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from .store import HistoryStore

MIN_HOUR_JUDGED_S = 600.0  # an hour of day needs this much judged time to be named


@dataclass(frozen=True, slots=True)
class DayReport:
    day: str
    tracked_s: float
    upright_share: float | None
    slouched_s: float
    episodes: int
    alerts: int  # delivered: the wearer got them
    alerts_held_back: int  # quiet mode, snooze, quiet hours, alert budget
    longest_slouch_s: float
    stretches: int


@dataclass(frozen=True, slots=True)
class Report:
    days: list[DayReport]
    worst_hour: int | None
    worst_hour_slouched_share: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "days": [asdict(d) for d in self.days],
            "slouch_most": None
            if self.worst_hour is None
            else {"hour": self.worst_hour, "slouched_share": round(self.worst_hour_slouched_share or 0.0, 3)},
        }

    def summary(self) -> str:
        if self.worst_hour is None:
            return "Not enough data yet to say when you slouch most."
        share = self.worst_hour_slouched_share or 0.0
        return (
            f"You slouch most between {self.worst_hour:02d}:00 and {(self.worst_hour + 1) % 24:02d}:00 "
            f"({share:.0%} of that hour spent slouched)."
        )


def _day_start(day: date) -> float:
    return datetime.combine(day, time.min).timestamp()


def day_reports(store: HistoryStore, first: date, last: date) -> list[DayReport]:
    """One DayReport per local day from ``first`` to ``last``, days not worn included."""
    since_day, until_day = first.isoformat(), last.isoformat()
    since_s = _day_start(first)
    until_s = _day_start(last + timedelta(days=1))
    db = store.db
    daily = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT day, upright_s, slouched_s, moving_s, away_s FROM daily WHERE day >= ? AND day <= ?",
            (since_day, until_day),
        )
    }
    local_day = "date(%s, 'unixepoch', 'localtime')"
    episodes = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            f"SELECT {local_day % 'start'} d, COUNT(*), MAX(end - start) FROM episodes WHERE start >= ? AND start < ? GROUP BY d",
            (since_s, until_s),
        )
    }
    alerts = {
        row[0]: (row[1] or 0, row[2] or 0)
        for row in db.execute(
            f"SELECT {local_day % 'at'} d, SUM(delivered != 0), SUM(delivered = 0) FROM alerts "
            "WHERE at >= ? AND at < ? AND kind != 'break' GROUP BY d",
            (since_s, until_s),
        )
    }
    stretches = dict(
        db.execute(
            f"SELECT {local_day % 'at'} d, COUNT(*) FROM stretches WHERE at >= ? AND at < ? GROUP BY d",
            (since_s, until_s),
        ).fetchall()
    )
    reports = []
    for offset in range((last - first).days + 1):
        day = (first + timedelta(days=offset)).isoformat()
        upright, slouched, moving, _away = daily.get(day, (0.0, 0.0, 0.0, 0.0))
        judged = upright + slouched
        count, longest = episodes.get(day, (0, 0.0))
        delivered, held_back = alerts.get(day, (0, 0))
        reports.append(
            DayReport(
                day=day,
                tracked_s=round(upright + slouched + moving, 1),
                upright_share=round(upright / judged, 4) if judged else None,
                slouched_s=round(slouched, 1),
                episodes=count,
                alerts=delivered,
                alerts_held_back=held_back,
                longest_slouch_s=round(longest or 0.0, 1),
                stretches=stretches.get(day, 0),
            )
        )
    return reports


def build_report(store: HistoryStore, days: int, today: date | None = None) -> Report:
    today = today or date.today()
    first = today - timedelta(days=days - 1)
    since_day = first.isoformat()
    reports = day_reports(store, first, today)
    db = store.db
    worst_hour, worst_share = None, None
    for hour, upright, slouched in db.execute(
        "SELECT hour, SUM(upright_s), SUM(slouched_s) FROM hourly WHERE day >= ? GROUP BY hour", (since_day,)
    ):
        judged = upright + slouched
        if judged >= MIN_HOUR_JUDGED_S and slouched > 0:
            share = slouched / judged
            if worst_share is None or share > worst_share:
                worst_hour, worst_share = hour, share
    return Report(reports, worst_hour, worst_share)
