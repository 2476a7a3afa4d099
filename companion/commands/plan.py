"""``posture plan``: today's wear goal, progress, streak and what comes next."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine and numpy load only when the command runs, not for --help
    from ..coach.habit import HabitStatus
    from ..coach.plan import Plan

EXIT_OK = 0
EXIT_BAD_HISTORY = 1


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def local_today() -> date:
    """The local calendar day (the one clock read of ``posture plan``)."""
    return date.today()


def habit_from_history(plan: Plan, today: date, mode: str) -> HabitStatus:
    """Today's status from the stored history (an absent history is an empty one).
    Raises HistoryError for a history that cannot be read."""
    import sqlite3

    from ..coach.habit import habit_status
    from ..history import HistoryStore, default_path
    from ..history.days import HABIT_TABLES, habit_from_store
    from ..history.store import damaged

    path = default_path()
    if not path.exists():
        return habit_status(plan, [], today, mode)
    # Damage in what is read is named before anything is read; a year's bins,
    # which the plan never reads, are left to the writer's check and check-history.
    store = HistoryStore(path, readonly=True, check=HABIT_TABLES)
    try:
        return habit_from_store(store, plan, today, mode)
    except sqlite3.DatabaseError as exc:  # damage outside the tables checked, met on reading
        raise damaged(path, str(exc)) from exc
    finally:
        store.close()


def plan_text(status: HabitStatus, *, quiet: bool = False) -> list[str]:
    """``quiet``: whether nudges are off (`nudges.tracking_mode`). The plan counts the
    default as tracking (docs/habit.md), but the default nudges."""
    from ..coach.habit import TRAINING

    if status.mode == TRAINING:
        mode = "training: every sustained slouch is nudged"
    elif quiet:
        mode = "tracking: records quietly, no nudges, shows the day"
    else:  # counted as tracking by the plan, but named as docs/habit.md and the settings name it
        mode = "reminders: nudges within the alert budget, shows the day"
    lines = [f"Mode            {mode}"]
    done = "met" if status.goal_met_today else f"{status.progress:.0%}"
    lines.append(f"Today's goal    wear it {_minutes(status.goal_s)}: {_minutes(status.worn_today_s)} so far ({done})")
    step = f"Step            {status.step_index + 1} of {status.steps}"
    if status.next_goal_s is None:
        lines.append(f"{step}, the last one")
    else:
        left = status.days_left_at_step or 0
        when = "from tomorrow" if left == 0 else f"after {left} more day{'s' if left != 1 else ''} meeting the goal"
        lines.append(f"{step}; next: {_minutes(status.next_goal_s)} a day {when}")
    lines.append(f"Streak          {status.streak_days} day{'s' if status.streak_days != 1 else ''} meeting the goal")
    lines.append("Score today     " + ("-" if status.score_today is None else f"{status.score_today} / 100"))
    bests = status.bests
    if bests.best_score is not None:
        lines.append(
            f"Bests           score {bests.best_score} ({bests.best_score_day}), streak {bests.longest_streak_days} days, "
            f"most worn {_minutes(bests.most_worn_s)} ({bests.most_worn_day})"
        )
    if status.suggest_tracking:
        lines.append(
            "Weeks of good scores: consider reminders mode (set nudges.training_mode = false). "
            "Keep wearing it: monitoring matters after the pain is gone."
        )
    return lines


def plan_and_mode() -> tuple[Plan, str, bool, str]:
    """The plan in force (the user's file, else the built-in one), the habit mode from
    the settings, whether nudges are off, and a warning naming a plan file that could
    not be used."""
    from ..coach.habit import TRACKING, TRAINING
    from ..plan_file import load_plan
    from ..settings import load as load_settings

    plan, warning = load_plan()
    nudges = load_settings().nudges
    return plan, TRAINING if nudges.training_mode else TRACKING, nudges.tracking_mode, warning


def cmd_plan(args: argparse.Namespace, out) -> int:
    from ..history import HistoryError
    from .output import CliError

    plan, mode, quiet, warning = plan_and_mode()
    if warning:
        out.message(f"posture: {warning}")
    today = local_today()
    try:
        status = habit_from_history(plan, today, mode)
    except HistoryError as exc:
        raise CliError(str(exc), EXIT_BAD_HISTORY) from exc
    if args.json:
        data = status.as_json()
        data["plan_warning"] = warning or None
        data["week"] = [d.as_json() for d in status.last(7)]
        out.result(json.dumps(data))
    else:
        for line in plan_text(status, quiet=quiet):
            out.result(line)
    return EXIT_OK


__all__ = ["cmd_plan", "habit_from_history", "local_today", "plan_and_mode", "plan_text"]
