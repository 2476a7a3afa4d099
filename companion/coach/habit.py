"""Today's habit status: goal, progress, streak, scores and bests, from the plan and
the day summaries. Pure; the CLI, the report and the screens show what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .day import DaySummary
from .plan import DayKind, DayOutcome, Plan, PlanPosition, longest_streak, replay, streak_days
from .score import PersonalBests, day_score, personal_bests

TRAINING = "training"
TRACKING = "tracking"


@dataclass(frozen=True, slots=True)
class DayStatus:
    """One day as charts and reports show it."""

    day: date
    goal_s: float
    worn_s: float
    goal_met: bool | None  # None: not worn, or today still in progress and short
    score: int | None
    upright_share: float | None
    stretches: int

    def as_json(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "goal_s": self.goal_s,
            "worn_s": round(self.worn_s, 1),
            "goal_met": self.goal_met,
            "score": self.score,
            "upright_share": None if self.upright_share is None else round(self.upright_share, 4),
            "stretches": self.stretches,
        }


@dataclass(frozen=True, slots=True)
class HabitStatus:
    mode: str
    today: date
    step_index: int
    steps: int
    goal_s: float
    worn_today_s: float
    met_at_step: int
    days_to_advance: int
    next_goal_s: float | None
    streak_days: int
    score_today: int | None
    bests: PersonalBests
    suggest_tracking: bool
    days: tuple[DayStatus, ...]
    plan_source: str

    @property
    def progress(self) -> float:
        return min(1.0, self.worn_today_s / self.goal_s) if self.goal_s else 1.0

    @property
    def goal_met_today(self) -> bool:
        return self.worn_today_s >= self.goal_s

    @property
    def days_left_at_step(self) -> int | None:
        """Met days still needed (today included if met) before the goal grows."""
        if self.next_goal_s is None:
            return None
        return max(0, self.days_to_advance - self.met_at_step - (1 if self.goal_met_today else 0))

    def day_status(self, day: date) -> DayStatus | None:
        for status in self.days:
            if status.day == day:
                return status
        return None

    def report_fields(self) -> dict[str, object]:
        """The habit fields of ``posture report --json``: today's score, the streak,
        whether today's goal is met (per-day values: :meth:`day_status`)."""
        return {"score": self.score_today, "streak_days": self.streak_days, "goal_met": self.goal_met_today}

    def goal_line(self) -> str:
        """Today against the goal in one line, for the live screen and status bars."""
        minutes = int(self.worn_today_s // 60)
        goal = int(self.goal_s // 60)
        state = "goal met" if self.goal_met_today else f"{self.progress:.0%}"
        score = "" if self.score_today is None else f" · score {self.score_today}"
        return f"Today {minutes}/{goal} min ({state}) · streak {self.streak_days} d{score}"

    def last(self, count: int) -> tuple[DayStatus, ...]:
        """The last ``count`` calendar days up to today, oldest first (the week and
        month charts); days before the history began are there, empty."""
        known = {d.day: d for d in self.days}
        days = (self.today - timedelta(days=offset) for offset in range(count - 1, -1, -1))
        return tuple(known.get(day) or DayStatus(day, self.goal_s, 0.0, None, None, None, 0) for day in days)

    def as_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "today": self.today.isoformat(),
            "goal_s": self.goal_s,
            "worn_s": round(self.worn_today_s, 1),
            "progress": round(self.progress, 4),
            "goal_met": self.goal_met_today,
            "step": self.step_index + 1,
            "steps": self.steps,
            "met_at_step": self.met_at_step,
            "days_to_advance": self.days_to_advance,
            "days_left_at_step": self.days_left_at_step,
            "next_goal_s": self.next_goal_s,
            "streak_days": self.streak_days,
            "score": self.score_today,
            "bests": self.bests.as_json(),
            "suggest_tracking": self.suggest_tracking,
            "plan_source": self.plan_source,
        }


def _goal_met(outcome: DayOutcome) -> bool | None:
    if outcome.kind is DayKind.MET:
        return True
    if outcome.kind is DayKind.SHORT:
        return False
    return None


def should_suggest_tracking(plan: Plan, position: PlanPosition, scores: list[int | None], mode: str) -> bool:
    """At the plan's last step, with enough good scores among the last worn days."""
    if mode != TRAINING or position.step_index < len(plan.steps) - 1:
        return False
    rules = plan.tracking
    worn = [s for s in scores if s is not None][-rules.out_of :]
    return len(worn) >= rules.good_days and sum(1 for s in worn if s >= rules.good_score) >= rules.good_days


def habit_status(
    plan: Plan, summaries: list[DaySummary], today: date, mode: str = TRAINING, first: date | None = None
) -> HabitStatus:
    """Replay the plan over ``summaries`` (any order; days after ``today`` ignored)."""
    by_day: dict[date, DaySummary] = {}
    for summary in summaries:
        if summary.day in by_day:
            raise ValueError(f"two summaries for {summary.day}")
        by_day[summary.day] = summary
    outcomes, position = replay(plan, by_day, today, first)
    scores = {day: day_score(s, plan.score) for day, s in by_day.items() if day <= today}
    days = tuple(
        DayStatus(
            o.day,
            o.goal_s,
            o.worn_s,
            _goal_met(o),
            scores.get(o.day),
            by_day[o.day].upright_share if o.day in by_day else None,
            by_day[o.day].stretches if o.day in by_day else 0,
        )
        for o in outcomes
    )
    rest = plan.rules.rest_days
    past = {day: s for day, s in by_day.items() if day <= today}
    bests = personal_bests(scores, past, longest_streak(outcomes, rest))
    step = position.step_index
    today_summary = by_day.get(today)
    return HabitStatus(
        mode=mode,
        today=today,
        step_index=step,
        steps=len(plan.steps),
        goal_s=plan.steps[step].goal_s,
        worn_today_s=today_summary.worn_s if today_summary else 0.0,
        met_at_step=position.met_at_step,
        days_to_advance=plan.rules.days_to_advance,
        next_goal_s=plan.steps[step + 1].goal_s if step + 1 < len(plan.steps) else None,
        streak_days=streak_days(outcomes, rest),
        score_today=scores.get(today),
        bests=bests,
        suggest_tracking=should_suggest_tracking(plan, position, [d.score for d in days], mode),
        days=days,
        plan_source=plan.source,
    )
