"""The daily score, streaks and personal bests, including the days that try to break
them: no wear, paused, daylight-saving and time-zone changes, clocks that jump."""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta

import pytest
from habit_history import wear_records, write_day
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from companion.coach.day import DaySummary
from companion.coach.habit import habit_status
from companion.coach.plan import ScoreRules
from companion.coach.score import day_score
from companion.history import HistoryStore, default_path
from companion.history.days import day_summaries, first_day, slouch_by_hour
from companion.plan_file import builtin_plan

MIN = 60.0
TODAY = date(2026, 11, 20)


def summary(upright_min=0.0, slouched_min=0.0, episodes_min=(), stretches=0, moving_min=0.0, paused_min=0.0, day=TODAY):
    return DaySummary(
        day,
        worn_s=(upright_min + slouched_min + moving_min) * MIN,
        upright_s=upright_min * MIN,
        slouched_s=slouched_min * MIN,
        moving_s=moving_min * MIN,
        paused_s=paused_min * MIN,
        episode_durations_s=tuple(m * MIN for m in episodes_min),
        stretches=stretches,
    )


def test_score_is_the_upright_share_of_judged_time():
    assert day_score(summary(90, 10, (1,) * 10)) == 90
    assert day_score(summary(100)) == 100
    assert day_score(summary(0, 30, (1,) * 30)) == 0


def test_moving_and_paused_time_do_not_enter_the_score():
    assert day_score(summary(90, 10, (1,) * 10, moving_min=200, paused_min=300)) == 90


def test_long_episodes_weigh_more_than_the_same_time_in_short_ones():
    short = day_score(summary(80, 20, (1,) * 20))
    long = day_score(summary(80, 20, (20,)))
    assert short == 80
    assert long == 62  # 18 of the 20 minutes lie beyond the 2-minute grace and count double
    assert long < short


def test_the_penalty_never_exceeds_the_slouched_time():
    assert day_score(summary(0, 60, (60,))) == 0
    # Episode durations longer than the slouched time (an episode spanning a pause) cannot push below 0.
    assert day_score(summary(50, 10, (300,))) == 67


def test_stretches_add_points_up_to_a_limit():
    assert day_score(summary(80, 20, (1,) * 20, stretches=1)) == 82
    assert day_score(summary(80, 20, (1,) * 20, stretches=10)) == 86
    assert day_score(summary(99, 1, (1,), stretches=3)) == 100


def test_too_little_judged_time_gives_no_score():
    assert day_score(summary(4)) is None
    assert day_score(summary(moving_min=120)) is None
    assert day_score(summary()) is None
    assert day_score(summary(4), ScoreRules(min_judged_minutes=0)) == 100


def _status(minutes_by_back: dict[int, float], today: date = TODAY, **extra):
    days = [summary(m, day=today - timedelta(days=back)) for back, m in minutes_by_back.items()]
    days += extra.get("more", [])
    return habit_status(builtin_plan(), days, today)


def test_streak_counts_met_days_and_today_only_once_met():
    assert _status({3: 20, 2: 20, 1: 20}).streak_days == 3
    assert _status({3: 20, 2: 20, 1: 20, 0: 10}).streak_days == 3  # today still in progress
    assert _status({2: 20, 1: 20, 0: 20}).streak_days == 3


def test_a_weekend_without_wear_keeps_the_streak_a_longer_gap_ends_it():
    assert _status({5: 20, 4: 20, 3: 20, 1: 30}).streak_days == 4  # one day off
    assert _status({5: 20, 4: 20, 3: 20, 0: 30}).streak_days == 4  # two days off
    assert _status({6: 20, 5: 20, 4: 20, 0: 30}).streak_days == 1  # three days off
    assert _status({3: 20, 2: 20}).streak_days == 2  # yesterday off, today not worn yet


def test_a_worn_day_short_of_the_goal_ends_the_streak():
    status = _status({4: 20, 3: 20, 2: 5, 1: 20})
    assert status.streak_days == 1
    assert status.bests.longest_streak_days == 2


def test_paused_days_hold_the_streak_however_many():
    paused = [summary(paused_min=480, day=TODAY - timedelta(days=back)) for back in range(1, 8)]
    status = _status({10: 20, 9: 20, 8: 20}, more=paused)
    assert status.streak_days == 3
    assert all(d.goal_met is None for d in status.days[-8:-1])


def test_personal_bests():
    days = [
        summary(90, 10, (1,) * 10, day=TODAY - timedelta(days=3)),
        summary(400, 5, (5,), day=TODAY - timedelta(days=2)),
        summary(30, 0, day=TODAY - timedelta(days=1)),
    ]
    bests = habit_status(builtin_plan(), days, TODAY).bests
    assert bests.best_score == 100 and bests.best_score_day == TODAY - timedelta(days=1)
    assert bests.most_worn_s == 405 * MIN and bests.most_worn_day == TODAY - timedelta(days=2)
    assert bests.longest_streak_days == 3


# -- the same rules through a real history file ------------------------------------------------


@pytest.fixture
def timezone(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        clock.tzset()

    yield use
    monkeypatch.undo()
    clock.tzset()


def _habit_from_store(today: date):
    store = HistoryStore(default_path(), readonly=True)
    try:
        first = first_day(store)
        days = day_summaries(store, first, today)
    finally:
        store.close()
    return days, habit_status(builtin_plan(), days, today, first=first)


def test_history_summaries_carry_wear_episodes_stretches_and_hours():
    store = HistoryStore(default_path())
    write_day(store, TODAY, 60, slouch_min=(3, 5), stretches=2, moving_min=10)
    store.close()
    days, status = _habit_from_store(TODAY)
    (day,) = days
    assert day.worn_s == 3600.0 and day.moving_s == 600.0 and day.slouched_s == 480.0 and day.upright_s == 2520.0
    assert day.episode_durations_s == (180.0, 300.0) and day.stretches == 2
    assert sum(day.judged_by_hour_s) == 3000.0 and day.judged_by_hour_s[9] == 3000.0
    assert status.score_today == day_score(day) == round(100 * (2520 - 60 - 180) / 3000) + 4
    share = slouch_by_hour(days)
    assert share[9] == pytest.approx(0.16) and share[8] is None


def test_days_without_any_wear_are_present_and_empty():
    store = HistoryStore(default_path())
    write_day(store, TODAY - timedelta(days=4), 20)
    write_day(store, TODAY, 20)
    store.close()
    days, status = _habit_from_store(TODAY)
    assert [d.worn_s for d in days] == [1200.0, 0.0, 0.0, 0.0, 1200.0]
    assert status.streak_days == 1  # three days without wear end the streak
    assert [d.goal_met for d in status.days] == [True, None, None, None, True]


def test_a_daylight_saving_change_does_not_break_the_streak(timezone):
    timezone("Europe/Berlin")
    store = HistoryStore(default_path())
    # 25 October 2026: clocks go back at 03:00, the day has 25 hours; wear crosses the change.
    for day in (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)):
        write_day(store, day, 30, start=time(1, 30))
    # 29 March 2026 has 23 hours.
    write_day(store, date(2026, 3, 28), 30, start=time(1, 30))
    write_day(store, date(2026, 3, 29), 30, start=time(1, 30))
    store.close()
    days, status = _habit_from_store(date(2026, 10, 26))
    by_day = {d.day: d for d in days}
    for day in (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26), date(2026, 3, 28), date(2026, 3, 29)):
        assert by_day[day].worn_s == 1800.0, day
    assert status.streak_days == 3
    assert status.score_today == 100


def test_travelling_across_time_zones_keeps_the_days_as_lived(timezone):
    timezone("Europe/Berlin")
    store = HistoryStore(default_path())
    write_day(store, TODAY - timedelta(days=2), 20, start=time(22, 0))
    timezone("America/New_York")  # flew west: the next days are six hours behind
    write_day(store, TODAY - timedelta(days=1), 20, start=time(8, 0))
    write_day(store, TODAY, 20, start=time(23, 30))
    store.close()
    days, status = _habit_from_store(TODAY)
    assert [d.worn_s for d in days] == [1200.0, 1200.0, 1200.0]
    assert status.streak_days == 3


def test_a_clock_that_jumps_ahead_and_back_does_not_break_the_streak():
    store = HistoryStore(default_path())
    write_day(store, TODAY - timedelta(days=2), 20)
    write_day(store, TODAY - timedelta(days=1), 20)
    # A clock set a year ahead for a while, then corrected.
    store.write(wear_records(datetime.combine(TODAY + timedelta(days=365), time(10, 0)).timestamp(), 30))
    write_day(store, TODAY, 20)
    store.close()
    days, status = _habit_from_store(TODAY)
    assert len(days) == 3 and status.streak_days == 3
    assert status.bests.most_worn_s == 1200.0  # the future day is not a personal best


def test_a_clock_that_jumps_back_writes_twice_into_a_day_without_harm():
    store = HistoryStore(default_path())
    write_day(store, TODAY - timedelta(days=1), 20)
    write_day(store, TODAY - timedelta(days=1), 20)  # the same hour lived twice
    write_day(store, TODAY, 20)
    store.close()
    days, status = _habit_from_store(TODAY)
    assert days[0].worn_s == 2400.0 and days[0].episode_durations_s == ()
    assert status.streak_days == 2 and status.days[0].score == 100


def test_report_fields_carry_score_streak_and_goal():
    status = _status({2: 20, 1: 20, 0: 16})
    assert status.report_fields() == {"score": 100, "streak_days": 3, "goal_met": True}
    assert status.day_status(TODAY - timedelta(days=1)).goal_met is True
    assert status.day_status(TODAY + timedelta(days=1)) is None


# -- properties over any sequence of days -------------------------------------------------------

_day_minutes = st.lists(st.one_of(st.just(0.0), st.floats(0, 600)), min_size=1, max_size=60)


@hsettings(max_examples=150, deadline=None)
@given(minutes=_day_minutes, slouched=st.floats(0, 1), episode_min=st.floats(0, 120), stretches=st.integers(0, 10))
def test_any_days_give_scores_in_range_and_a_consistent_streak(minutes, slouched, episode_min, stretches):
    days = [
        summary(
            m * (1 - slouched),
            m * slouched,
            (min(episode_min, m * slouched),) if slouched else (),
            stretches,
            day=TODAY - timedelta(days=len(minutes) - 1 - i),
        )
        for i, m in enumerate(minutes)
    ]
    plan = builtin_plan()
    status = habit_status(plan, days, TODAY)
    assert all(d.score is None or 0 <= d.score <= 100 for d in status.days)
    assert 0 <= status.step_index < len(plan.steps)
    met = sum(1 for d in status.days if d.goal_met)
    assert 0 <= status.streak_days <= status.bests.longest_streak_days <= met
    # Days without wear change nothing in the progression.
    worn_only = [d for d in days if d.worn_s >= 60 or d.day == TODAY]
    if len(worn_only) == len(days):
        return
    assert habit_status(plan, worn_only, TODAY).step_index == status.step_index
