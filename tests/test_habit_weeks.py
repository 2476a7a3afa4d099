"""Two simulated weeks of wear, day by day on a virtual clock, through a real history
file: the plan's progression, the scores and the streak; and a workday of stretch
prompts on a virtual clock."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time, timedelta

import pytest
from habit_history import write_day

from companion.cli import main
from companion.coach.day import DaySummary
from companion.coach.habit import TRACKING, TRAINING, habit_status
from companion.coach.stretch_prompts import PromptReason, StretchPromptPolicy, StretchPromptSettings
from companion.commands import plan as cli_plan
from companion.history import HistoryStore, default_path
from companion.plan_file import builtin_plan
from companion.settings import QuietHours

MONDAY = date(2026, 11, 2)

# (minutes worn, slouch episodes in minutes, stretches), then what the evening shows:
# today's goal in minutes, the streak, today's score.
WEEKS = [
    ((20, (1,), 0), 15, 1, 95),
    ((25, (1,), 1), 15, 2, 98),
    ((18, (), 0), 15, 3, 100),  # third day met: the goal grows to 30 min
    ((35, (2,), 0), 30, 4, 94),
    ((0, (), 0), 30, 4, None),  # missed: not worn at all, the streak holds
    ((40, (1, 1), 2), 30, 5, 99),
    ((14, (6,), 0), 30, 5, 29),  # bad day: short of the goal, one long slump; in progress until midnight
    ((35, (1,), 0), 30, 1, 97),  # the streak starts again; third met day at 30 min
    ((50, (2,), 0), 45, 2, 96),
    ((50, (), 0), 45, 3, 100),
    ((50, (1,), 1), 45, 4, 100),
    ((65, (3,), 0), 60, 5, 94),
    ((70, (1,), 0), 60, 6, 99),
    ((30, (), 0), 60, 6, 100),  # today, in progress: half of the 60-minute goal
]


def evening(today: date, mode: str = TRAINING):
    return cli_plan.habit_from_history(builtin_plan(), today, mode)


def test_two_weeks_of_wear_move_the_plan_score_and_streak():
    store = HistoryStore(default_path())
    seen = []
    for offset, ((worn, slouches, stretches), goal_min, streak, score) in enumerate(WEEKS):
        today = MONDAY + timedelta(days=offset)
        if worn:
            write_day(store, today, worn, slouch_min=slouches, stretches=stretches)
        status = evening(today)
        seen.append((status.goal_s / 60, status.streak_days, status.score_today))
        assert seen[-1] == (goal_min, streak, score), f"day {offset + 1} ({today}): {seen[-1]}"
    store.close()
    # The morning after the bad day, before any wear: the streak is gone, the goal kept.
    morning = evening(MONDAY + timedelta(days=7))
    assert morning.goal_s == 30 * 60 and morning.met_at_step == 2 and morning.days[-2].goal_met is False
    last = evening(MONDAY + timedelta(days=13))
    assert last.progress == pytest.approx(0.5) and not last.goal_met_today and last.days_left_at_step == 1
    assert last.next_goal_s == 90 * 60 and last.step_index == 3
    assert [d.goal_met for d in last.days] == [
        True,
        True,
        True,
        True,
        None,
        True,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        None,
    ]
    assert last.bests.best_score == 100 and last.bests.best_score_day == MONDAY + timedelta(days=2)
    assert last.bests.longest_streak_days == 6 and last.bests.most_worn_s == 70 * 60
    week = last.last(7)
    assert [d.score for d in week] == [97, 96, 100, 100, 94, 99, 100]
    assert [d.stretches for d in last.last(14)][:7] == [0, 1, 0, 0, 0, 2, 0]


def test_posture_plan_shows_the_second_week(capsys, monkeypatch):
    store = HistoryStore(default_path())
    for offset, ((worn, slouches, stretches), *_rest) in enumerate(WEEKS):
        if worn:
            write_day(store, MONDAY + timedelta(days=offset), worn, slouch_min=slouches, stretches=stretches)
    store.close()
    monkeypatch.setattr(cli_plan, "local_today", lambda: MONDAY + timedelta(days=13))
    assert main(["plan"]) == 0
    text = capsys.readouterr().out
    assert "wear it 1 h: 30 min so far (50%)" in text
    assert "Step            4 of 12; next: 1 h 30 min a day after 1 more day meeting the goal" in text
    assert "Streak          6 days" in text and "Score today     100 / 100" in text
    assert main(["plan", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["streak_days"], data["score"], data["goal_met"], data["mode"]) == (6, 100, False, TRACKING)
    assert [d["score"] for d in data["week"]] == [97, 96, 100, 100, 94, 99, 100]


def _good_days(count: int, score_upright_min: float = 480, slouched_min: float = 0.0):
    first = MONDAY - timedelta(days=count)
    return [
        DaySummary(
            first + timedelta(days=i),
            worn_s=(score_upright_min + slouched_min) * 60,
            upright_s=score_upright_min * 60,
            slouched_s=slouched_min * 60,
        )
        for i in range(count)
    ]


def test_weeks_of_good_scores_at_the_last_step_suggest_tracking_mode():
    plan = builtin_plan()
    assert habit_status(plan, _good_days(60), MONDAY, TRAINING).suggest_tracking
    assert not habit_status(plan, _good_days(60), MONDAY, TRACKING).suggest_tracking  # already tracking
    assert not habit_status(plan, _good_days(30), MONDAY, TRAINING).suggest_tracking  # not at the last step yet
    poor = _good_days(60, score_upright_min=300, slouched_min=180)
    assert not habit_status(plan, poor, MONDAY, TRAINING).suggest_tracking


# -- stretch prompts through a workday -------------------------------------------------------------


def _workday(policy: StretchPromptPolicy, day: date, events=()):
    """Minute by minute from 07:00 to 21:00 of ``day``; the wearer sits except where
    ``events`` says otherwise: {minute: ("episode", seconds) | ("stretch",) | ("walk",)}."""
    events = dict(events)
    prompts = []
    sitting_s = 0.0
    start = datetime.combine(day, time(7, 0))
    for minute in range(14 * 60):
        now = start + timedelta(minutes=minute)
        event = events.get(minute)
        if event and event[0] == "episode":
            policy.episode_ended(now, event[1])
        if event and event[0] in ("stretch", "walk"):
            sitting_s = 0.0
            if event[0] == "stretch":
                policy.stretch_done(now)
        due = policy.due(now, sitting_s)
        if due is not None:
            prompts.append((due.at.strftime("%H:%M"), due.reason))
        sitting_s += 60.0
    return prompts


def test_prompts_come_after_long_sitting_at_most_every_n_minutes_and_only_in_the_workday():
    policy = StretchPromptPolicy(StretchPromptSettings(sit_minutes=40, min_minutes_between=30))
    prompts = _workday(policy, MONDAY)
    times = [t for t, _ in prompts]
    assert times[0] == "08:00"  # workday starts at 08:00; sat since 07:00
    assert all(reason is PromptReason.LONG_SITTING for _, reason in prompts)
    gaps = [
        (datetime.strptime(b, "%H:%M") - datetime.strptime(a, "%H:%M")).seconds / 60
        for a, b in itertools.pairwise(times)
    ]
    assert gaps and min(gaps) >= 30
    assert times[-1] < "19:00"
    assert policy.prompts_today == len(prompts)


def test_a_long_episode_brings_a_prompt_a_short_one_does_not():
    policy = StretchPromptPolicy(StretchPromptSettings(sit_minutes=120, min_minutes_between=30))
    # Walks every 30 minutes keep sitting short: only the long episode asks for a stretch.
    walks = {m: ("walk",) for m in range(0, 14 * 60, 30)}
    prompts = _workday(policy, MONDAY, {**walks, 125: ("episode", 60.0), 185: ("episode", 300.0)})
    assert prompts == [("10:05", PromptReason.AFTER_EPISODE)]


def test_a_stretch_done_resets_the_interval_and_quiet_hours_hold_everything():
    policy = StretchPromptPolicy(StretchPromptSettings(sit_minutes=40, min_minutes_between=30))
    prompts = _workday(policy, MONDAY, {75: ("episode", 600.0), 70: ("stretch",)})
    assert not any(
        reason is PromptReason.AFTER_EPISODE for _, reason in prompts
    )  # stretched 5 min before; the offer lapsed
    # Sat since 07:00: a prompt at 08:00; stretched at 08:10; the next after 40 min of sitting again.
    assert prompts[:2] == [("08:00", PromptReason.LONG_SITTING), ("08:50", PromptReason.LONG_SITTING)]
    quiet = StretchPromptPolicy(StretchPromptSettings(sit_minutes=40), QuietHours("00:00", "23:59"))
    assert _workday(quiet, MONDAY) == []


def test_an_episode_offer_lapses_when_the_budget_holds_it_back_too_long():
    policy = StretchPromptPolicy(StretchPromptSettings(sit_minutes=120, min_minutes_between=30))
    nine = datetime.combine(MONDAY, time(9, 0))
    assert policy.due(nine, 7200.0) is not None  # long sitting
    policy.episode_ended(nine + timedelta(minutes=5), 300.0)
    assert policy.due(nine + timedelta(minutes=6), 0.0) is None  # within 30 min of the last prompt
    assert policy.due(nine + timedelta(minutes=31), 0.0) is None  # the offer lapsed after 10 min
    policy.episode_ended(nine + timedelta(minutes=40), 300.0)
    assert policy.due(nine + timedelta(minutes=41), 0.0).reason is PromptReason.AFTER_EPISODE


def test_a_clock_that_jumps_back_neither_blocks_prompts_nor_doubles_them():
    policy = StretchPromptPolicy(StretchPromptSettings(sit_minutes=40, min_minutes_between=30))
    noon = datetime.combine(MONDAY, time(12, 0))
    assert policy.due(noon, 3000.0) is not None
    back = noon - timedelta(hours=3)
    assert policy.due(back, 3000.0) is None  # counted as just prompted
    assert policy.due(back + timedelta(minutes=31), 3000.0) is not None  # not blocked for three hours
    ahead = noon + timedelta(hours=5)
    assert policy.due(ahead, 0.0) is None  # a jump ahead is not sitting time


def test_prompt_settings_are_checked():
    with pytest.raises(ValueError, match="workday_start"):
        StretchPromptSettings(workday_start="8am")
    with pytest.raises(ValueError):
        StretchPromptSettings(min_minutes_between=0)


def test_prompts_follow_the_break_setting_and_the_goal_line_reads_at_a_glance():
    from companion.coach.stretch_prompts import prompt_settings
    from companion.settings import BreakSettings

    assert prompt_settings(BreakSettings(sit_minutes=25)).sit_minutes == 25
    days = [DaySummary(MONDAY, worn_s=600.0, upright_s=570.0, slouched_s=30.0, episode_durations_s=(30.0,))]
    assert habit_status(builtin_plan(), days, MONDAY).goal_line() == "Today 10/15 min (67%) · streak 0 d · score 95"
