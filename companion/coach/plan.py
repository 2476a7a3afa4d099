"""The training plan: steps of a daily wear goal and the rules that move between them.

Pure: the plan arrives as data (parsed from the TOML text of the built-in file or
the user's copy, read at the boundary), days arrive as :class:`DaySummary`, and
"today" is passed in. The next step depends on the days actually met, never on the
calendar: a day without wear changes nothing, a day short of the goal only counts
towards stepping back after several in a row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..errors import SettingsInvalid
from .day import DaySummary


class PlanError(SettingsInvalid):
    """A plan file that cannot be used; the message names the file and the key."""

    def __init__(self, message: str, source: str = "", key: str = "") -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source
        self.key = key


@dataclass(frozen=True, slots=True)
class PlanStep:
    goal_minutes: int

    @property
    def goal_s(self) -> float:
        return self.goal_minutes * 60.0


@dataclass(frozen=True, slots=True)
class PlanRules:
    days_to_advance: int = 3
    missed_days_to_step_back: int = 3
    rest_days: int = 2
    min_worn_minutes: int = 1


@dataclass(frozen=True, slots=True)
class ScoreRules:
    long_episode_minutes: int = 2
    stretch_points: int = 2
    max_stretches: int = 3
    min_judged_minutes: int = 5


@dataclass(frozen=True, slots=True)
class TrackingRules:
    good_score: int = 75
    good_days: int = 15
    out_of: int = 21


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[PlanStep, ...]
    rules: PlanRules = PlanRules()
    score: ScoreRules = ScoreRules()
    tracking: TrackingRules = TrackingRules()
    source: str = "built-in"


# Allowed keys and ranges per table: (low, high) for whole numbers.
_RANGES: dict[str, dict[str, tuple[int, int]]] = {
    "rules": {
        "days_to_advance": (1, 30),
        "missed_days_to_step_back": (1, 30),
        "rest_days": (0, 14),
        "min_worn_minutes": (0, 60),
    },
    "score": {
        "long_episode_minutes": (0, 60),
        "stretch_points": (0, 10),
        "max_stretches": (0, 20),
        "min_judged_minutes": (0, 120),
    },
    "tracking": {"good_score": (0, 100), "good_days": (1, 365), "out_of": (1, 365)},
}
_TABLES = {"rules": PlanRules, "score": ScoreRules, "tracking": TrackingRules}
PLAN_VERSION = 1
MAX_GOAL_MINUTES = 16 * 60


def _whole(value: Any, low: int, high: int, key: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlanError(f"{key} = {value!r} is not allowed: a whole number from {low} to {high}", source, key)
    return value


def plan_from_dict(data: dict[str, Any], source: str = "") -> Plan:
    """Check every value of a parsed plan file; raise PlanError naming the first bad key."""
    known = {"version", "steps", *_TABLES}
    for key in data:
        if key not in known:
            raise PlanError(f"unknown key {key!r}; known: {', '.join(sorted(known))}", source, key)
    if data.get("version") != PLAN_VERSION:
        raise PlanError(
            f"version = {data.get('version')!r} is not allowed: this posture reads version {PLAN_VERSION}",
            source,
            "version",
        )
    tables: dict[str, Any] = {}
    for name, cls in _TABLES.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise PlanError(f"[{name}] must be a table", source, name)
        values = {}
        for key, value in table.items():
            if key not in _RANGES[name]:
                raise PlanError(
                    f"unknown key {key!r} in [{name}]; known: {', '.join(sorted(_RANGES[name]))}",
                    source,
                    f"{name}.{key}",
                )
            values[key] = _whole(value, *_RANGES[name][key], f"{name}.{key}", source)
        tables[name] = cls(**values)
    if tables["tracking"].good_days > tables["tracking"].out_of:
        raise PlanError("tracking.good_days must not exceed tracking.out_of", source, "tracking.good_days")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PlanError("steps: needs at least one [[steps]] table with goal_minutes", source, "steps")
    steps: list[PlanStep] = []
    for index, raw in enumerate(raw_steps):
        key = f"steps[{index}]"
        if not isinstance(raw, dict):
            raise PlanError(f"{key} must be a table with goal_minutes", source, key)
        extra = set(raw) - {"goal_minutes"}
        if extra:
            raise PlanError(
                f"unknown key {sorted(extra)[0]!r} in {key}; known: goal_minutes", source, f"{key}.{sorted(extra)[0]}"
            )
        if "goal_minutes" not in raw:
            raise PlanError(f"{key} needs goal_minutes", source, f"{key}.goal_minutes")
        goal = _whole(raw["goal_minutes"], 1, MAX_GOAL_MINUTES, f"{key}.goal_minutes", source)
        if steps and goal <= steps[-1].goal_minutes:
            raise PlanError(
                f"{key}.goal_minutes = {goal} must be larger than the step before ({steps[-1].goal_minutes})",
                source,
                f"{key}.goal_minutes",
            )
        steps.append(PlanStep(goal))
    return Plan(tuple(steps), tables["rules"], tables["score"], tables["tracking"], source or "built-in")


class DayKind(enum.Enum):
    MET = "met"
    SHORT = "short"  # worn, but less than the goal
    REST = "rest"  # not worn
    PAUSED = "paused"  # not worn, tracking paused by the wearer: holds a streak however long
    TODAY = "today"  # in progress


@dataclass(frozen=True, slots=True)
class DayOutcome:
    day: date
    kind: DayKind
    step_index: int
    goal_s: float
    worn_s: float


@dataclass(frozen=True, slots=True)
class PlanPosition:
    """Where the wearer stands in the plan on a day, before that day is judged."""

    step_index: int = 0
    met_at_step: int = 0
    short_in_row: int = 0


def is_worn(summary: DaySummary | None, rules: PlanRules) -> bool:
    return summary is not None and summary.worn_s >= max(1.0, rules.min_worn_minutes * 60.0)


def _next(plan: Plan, position: PlanPosition, kind: DayKind) -> PlanPosition:
    last = len(plan.steps) - 1
    rules = plan.rules
    step, met, short = position.step_index, position.met_at_step, position.short_in_row
    if kind is DayKind.MET:
        met, short = met + 1, 0
        if met >= rules.days_to_advance and step < last:
            step, met = step + 1, 0
    elif kind is DayKind.SHORT:
        short += 1
        if short >= rules.missed_days_to_step_back and step > 0:
            step, met, short = step - 1, 0, 0
    return PlanPosition(min(step, last), met, short)


def replay(
    plan: Plan, days: dict[date, DaySummary], today: date, first: date | None = None
) -> tuple[list[DayOutcome], PlanPosition]:
    """Judge every calendar day from ``first`` (default: the first day in ``days``)
    to ``today``, moving through the plan; days after ``today`` (a clock that ran
    ahead) are ignored. Returns the outcomes and today's position."""
    past = [d for d in days if d <= today]
    start = first if first is not None else (min(past) if past else today)
    position = PlanPosition()
    outcomes: list[DayOutcome] = []
    day = start
    while day <= today:
        summary = days.get(day)
        goal = plan.steps[position.step_index].goal_s
        worn = summary.worn_s if summary is not None else 0.0
        if day == today:
            kind = DayKind.MET if worn >= goal else DayKind.TODAY
        elif not is_worn(summary, plan.rules):
            kind = DayKind.PAUSED if summary is not None and summary.paused_s > 0 else DayKind.REST
        else:
            kind = DayKind.MET if worn >= goal else DayKind.SHORT
        outcomes.append(DayOutcome(day, kind, position.step_index, goal, worn))
        if day < today:
            position = _next(plan, position, kind)
        day += timedelta(days=1)
    return outcomes, position


def streak_days(outcomes: list[DayOutcome], rest_days: int) -> int:
    """Days meeting the goal in a row up to today. Up to ``rest_days`` unworn days in
    a row keep the streak (they do not add to it), paused days keep it however many;
    a worn day short of the goal ends it; today counts once met and never ends it
    while in progress."""
    streak = 0
    rest = 0
    for outcome in reversed(outcomes):
        if outcome.kind in (DayKind.TODAY, DayKind.PAUSED):
            continue
        if outcome.kind is DayKind.MET:
            streak += 1
            rest = 0
        elif outcome.kind is DayKind.REST:
            rest += 1
            if rest > rest_days:
                break
        else:
            break
    return streak


def longest_streak(outcomes: list[DayOutcome], rest_days: int) -> int:
    best = current = rest = 0
    for outcome in outcomes:
        if outcome.kind is DayKind.MET:
            current += 1
            rest = 0
        elif outcome.kind is DayKind.REST:
            rest += 1
            if rest > rest_days:
                current = 0
        elif outcome.kind is DayKind.SHORT:
            current, rest = 0, 0
        best = max(best, current)
    return best
