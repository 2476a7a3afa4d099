"""The daily posture score (0-100), personal bests. Pure.

Score of a worn day, with U the upright seconds, S the slouched seconds and
E = sum over the day's episodes of max(0, duration - long_episode_minutes):

    score = clamp(100 * (U - E) / (U + S) + stretch_points * min(stretches, max_stretches), 0, 100)

Only judged time (upright + slouched) enters: moving, away and paused time are
excluded. Slouched time beyond the first minutes of one episode counts double,
so one long slump weighs more than the same time in short dips that the wearer
corrected. A day with less than ``min_judged_minutes`` judged has no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .day import DaySummary
from .plan import ScoreRules


def long_excess_s(durations_s: tuple[float, ...], rules: ScoreRules) -> float:
    grace = rules.long_episode_minutes * 60.0
    return sum(max(0.0, d - grace) for d in durations_s)


def day_score(summary: DaySummary, rules: ScoreRules = ScoreRules()) -> int | None:
    judged = summary.upright_s + summary.slouched_s
    if judged <= 0 or judged < rules.min_judged_minutes * 60.0:
        return None
    # The penalty cannot exceed the slouched time itself (each second counts double at most).
    excess = min(long_excess_s(summary.episode_durations_s, rules), summary.slouched_s)
    base = 100.0 * (summary.upright_s - excess) / judged
    bonus = rules.stretch_points * min(summary.stretches, rules.max_stretches)
    return round(min(100.0, max(0.0, base + bonus)))


@dataclass(frozen=True, slots=True)
class PersonalBests:
    best_score: int | None = None
    best_score_day: date | None = None
    longest_streak_days: int = 0
    most_worn_s: float = 0.0
    most_worn_day: date | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "best_score": self.best_score,
            "best_score_day": None if self.best_score_day is None else self.best_score_day.isoformat(),
            "longest_streak_days": self.longest_streak_days,
            "most_worn_s": round(self.most_worn_s, 1),
            "most_worn_day": None if self.most_worn_day is None else self.most_worn_day.isoformat(),
        }


def personal_bests(
    scores: dict[date, int | None], summaries: dict[date, DaySummary], longest_streak_days: int
) -> PersonalBests:
    best_score, best_day = None, None
    for day in sorted(scores):
        value = scores[day]
        if value is not None and (best_score is None or value > best_score):
            best_score, best_day = value, day
    most_worn, most_day = 0.0, None
    for day in sorted(summaries):
        if summaries[day].worn_s > most_worn:
            most_worn, most_day = summaries[day].worn_s, day
    return PersonalBests(best_score, best_day, longest_streak_days, most_worn, most_day)
