"""The training plan: its data file, bad files, the progression rules, `posture plan`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import pytest
from fresh_imports import modules_loaded_by
from habit_history import write_day

from companion.cli import main
from companion.coach.day import DaySummary
from companion.coach.habit import habit_status
from companion.coach.plan import DayKind, PlanError, replay
from companion.history import HistoryStore, default_path
from companion.history.days import HABIT_TABLES, habit_from_store
from companion.history.synthetic import synthetic_days
from companion.plan_file import builtin_plan, builtin_plan_text, load_plan, parse_plan, user_plan_path

TODAY = date(2026, 11, 20)
MIN = 60.0


def worn(day: date, minutes: float) -> DaySummary:
    return DaySummary(day, worn_s=minutes * MIN, upright_s=minutes * MIN)


def days_of(minutes: list[float], last: date = TODAY - timedelta(days=1)) -> dict[date, DaySummary]:
    first = last - timedelta(days=len(minutes) - 1)
    return {first + timedelta(days=i): worn(first + timedelta(days=i), m) for i, m in enumerate(minutes) if m}


def test_builtin_plan_grows_from_a_short_goal_to_a_workday():
    plan = builtin_plan()
    goals = [s.goal_minutes for s in plan.steps]
    assert 10 <= goals[0] <= 15
    assert goals[-1] == 8 * 60
    assert goals == sorted(set(goals))
    assert plan.source == "built-in"


def test_the_plan_file_ships_inside_the_package():
    code = "from companion.plan_file import builtin_plan_text; print(len(builtin_plan_text()))"
    assert int(subprocess.check_output([sys.executable, "-c", code], text=True)) > 100


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda t: t.replace("days_to_advance = 3", 'days_to_advance = "three"'), "rules.days_to_advance"),
        (lambda t: t.replace("rest_days = 2", "rest_days = -1"), "rules.rest_days"),
        (lambda t: t.replace("version = 1", "version = 7"), "version"),
        (lambda t: t.replace("goal_minutes = 30", "goal_minutes = 5"), "steps[1].goal_minutes"),
        (lambda t: t.replace("goal_minutes = 45", "goal_minuts = 45"), "steps[2].goal_minuts"),
        (lambda t: t.replace("[score]", "[scoring]"), "scoring"),
        (lambda t: t.replace("good_score = 75", "good_score = 75\nbad_score = 1"), "tracking.bad_score"),
        (lambda t: t.replace("good_days = 15", "good_days = 40"), "tracking.good_days"),
        (lambda t: t.split("[[steps]]")[0], "steps"),
        (lambda t: t.replace("goal_minutes = 480", "goal_minutes = true"), "steps[11].goal_minutes"),
    ],
)
def test_a_bad_plan_names_the_file_and_the_key(edit, key):
    with pytest.raises(PlanError) as caught:
        parse_plan(edit(builtin_plan_text()), "/home/me/plan.toml")
    assert caught.value.key == key
    assert str(caught.value).startswith("/home/me/plan.toml: ")
    assert key.split(".")[-1].split("[")[0] in str(caught.value)


def test_plan_that_is_not_toml_is_reported():
    with pytest.raises(PlanError, match=r"plan\.toml: not valid TOML"):
        parse_plan("[rules\n", "plan.toml")


def test_corrupt_user_plan_falls_back_to_the_builtin_one(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_bytes(b"version = 1\n[rules]\ndays_to_advance = 0\n")
    plan, warning = load_plan(path)
    assert plan == builtin_plan()
    assert (
        warning
        == f"{path}: rules.days_to_advance = 0 is not allowed: a whole number from 1 to 30; using the built-in plan"
    )
    assert path.read_bytes() == b"version = 1\n[rules]\ndays_to_advance = 0\n"  # never rewritten
    path.write_bytes(b"\xff\xfe not text")
    plan, warning = load_plan(path)
    assert plan == builtin_plan() and str(path) in warning


def test_a_valid_user_plan_is_used(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(builtin_plan_text().replace("goal_minutes = 15", "goal_minutes = 10"))
    plan, warning = load_plan(path)
    assert warning == "" and plan.steps[0].goal_minutes == 10 and plan.source == str(path)


def test_goal_grows_after_days_met_not_after_calendar_days():
    plan = builtin_plan()
    # Three met days: the goal grows from 15 to 30 minutes.
    _, position = replay(plan, days_of([20, 20, 20]), TODAY)
    assert plan.steps[position.step_index].goal_minutes == 30
    # The same three met days spread over two weeks with no wear between: the same step.
    spread = {TODAY - timedelta(days=d): worn(TODAY - timedelta(days=d), 20) for d in (14, 9, 2)}
    _, position = replay(plan, spread, TODAY)
    assert plan.steps[position.step_index].goal_minutes == 30
    # Two weeks of calendar without three met days: the goal stays.
    _, position = replay(plan, days_of([20, 5, 0, 0, 0, 0, 20, 5, 0, 0, 0, 0, 0, 0]), TODAY)
    assert position.step_index == 0 and position.met_at_step == 2


def test_one_short_day_does_not_reset_the_progress_at_a_step():
    plan = builtin_plan()
    _, position = replay(plan, days_of([20, 20, 3, 20]), TODAY)
    assert position.step_index == 1 and position.met_at_step == 0  # advanced on the third met day
    _, position = replay(plan, days_of([20, 20, 20, 40, 10, 40]), TODAY)
    assert plan.steps[position.step_index].goal_minutes == 30 and position.met_at_step == 2


def test_several_short_days_in_a_row_step_the_goal_back_one():
    plan = builtin_plan()
    _, position = replay(plan, days_of([20, 20, 20, 10, 10, 10]), TODAY)
    assert position.step_index == 0  # 30 min missed three worn days in a row: back to 15
    _, position = replay(plan, days_of([20, 20, 20, 10, 10, 0, 0, 0, 40]), TODAY)
    assert position.step_index == 1 and position.met_at_step == 1  # days without wear are not short days


def test_the_goal_stops_at_the_last_step():
    plan = builtin_plan()
    _, position = replay(plan, days_of([600] * 60), TODAY)
    assert position.step_index == len(plan.steps) - 1


def test_days_after_today_from_a_clock_that_ran_ahead_are_ignored():
    plan = builtin_plan()
    summaries = days_of([20, 20])
    summaries[TODAY + timedelta(days=300)] = worn(TODAY + timedelta(days=300), 600)
    outcomes, position = replay(plan, summaries, TODAY)
    assert outcomes[-1].day == TODAY and outcomes[-1].kind is DayKind.TODAY
    assert position.met_at_step == 2


def test_posture_plan_without_history_shows_the_first_goal(capsys):
    assert main(["plan"]) == 0
    out = capsys.readouterr()
    assert "wear it 15 min: 0 min so far" in out.out
    assert "next: 30 min a day after 3 more days" in out.out
    assert out.err == ""
    assert not default_path().exists()  # reading never creates a history


def test_posture_plan_json_carries_goal_progress_streak_and_week(capsys):
    store = HistoryStore(default_path())
    today = date.today()
    for back in (3, 2, 1):
        write_day(store, today - timedelta(days=back), 20)
    write_day(store, today, 10)
    store.close()
    assert main(["plan", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["goal_s"] == 1800.0 and data["worn_s"] == 600.0
    assert data["progress"] == pytest.approx(1 / 3, abs=1e-3)
    assert data["goal_met"] is False and data["step"] == 2 and data["next_goal_s"] == 2700.0
    assert data["streak_days"] == 3 and data["score"] == 100
    assert data["plan_source"] == "built-in" and data["plan_warning"] is None
    assert [d["goal_met"] for d in data["week"]][-4:] == [True, True, True, None]
    assert len(data["week"]) == 7


def test_posture_plan_with_a_corrupt_plan_file_warns_once_and_uses_the_builtin_plan(capsys):
    path = user_plan_path()
    path.parent.mkdir(parents=True)
    path.write_text("version = 1\n[[steps]]\ngoal_minutes = 'lots'\n")
    assert main(["plan", "--json"]) == 0
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "steps[0].goal_minutes" in lines[0]
    assert "built-in" in lines[0] and "Traceback" not in out.err
    data = json.loads(out.out)
    assert data["plan_source"] == "built-in" and data["goal_s"] == 900.0 and str(path) in data["plan_warning"]


def test_posture_plan_with_an_unreadable_history_is_one_line_and_an_exit_status(capsys):
    default_path().parent.mkdir(parents=True)
    default_path().write_bytes(b"not a database at all" * 100)
    assert main(["plan"]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("posture: ") and "not a readable posture history" in err and len(err.strip().splitlines()) == 1
    )


def _history_with_a_damaged_table(table: str) -> bytes:
    """A few days of history with the root page of ``table`` overwritten; the file's bytes."""
    store = HistoryStore(default_path())
    store.write(list(synthetic_days(date.today(), 4)))
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    [(root,)] = store.db.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchall()
    page = store.db.execute("PRAGMA page_size").fetchone()[0]
    store.close()
    data = bytearray(default_path().read_bytes())
    start = (root - 1) * page
    data[start : start + page] = bytes(range(256)) * (page // 256)
    default_path().write_bytes(bytes(data))
    return bytes(data)


def test_the_plan_reads_only_the_tables_it_checks():
    """HABIT_TABLES is what a read-only plan store checks: it must name every table read."""
    store = HistoryStore(default_path())
    store.write(list(synthetic_days(date.today(), 3)))
    read: set[str] = set()

    def note(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and table:
            read.add(table)
        return sqlite3.SQLITE_OK

    store.db.set_authorizer(note)
    status = habit_from_store(store, builtin_plan(), date.today(), "training")
    store.close()
    assert status.worn_today_s > 0  # the days were read
    assert read and read - {"sqlite_schema", "sqlite_master"} <= HABIT_TABLES, read


@pytest.mark.parametrize("table", sorted(HABIT_TABLES))
def test_damage_in_a_table_the_plan_reads_is_named_and_nothing_is_written(table, capsys):
    damaged = _history_with_a_damaged_table(table)
    assert main(["plan"]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and str(default_path()) in err and len(err.strip().splitlines()) == 1
    assert default_path().read_bytes() == damaged


def test_the_plan_answers_over_damaged_bins_and_check_history_names_them(capsys):
    """The plan reads the day rollups, never a year's bins: it does not check them at
    each run (half a second on a year's file) and answers from sound tables."""
    damaged = _history_with_a_damaged_table("bins")
    assert main(["plan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["worn_s"] > 0
    assert main(["check-history"]) == 1
    assert "damaged" in capsys.readouterr().err
    assert default_path().read_bytes() == damaged


def test_damage_the_plan_meets_on_reading_is_one_line_too(monkeypatch, capsys):
    """Damage outside the tables checked (the schema page, a page two tables claim)
    can surface only as the plan reads: named like damage found at open."""
    from companion.history import days

    HistoryStore(default_path()).close()

    def malformed(*_args, **_kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(days, "habit_from_store", malformed)
    assert main(["plan"]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "malformed" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_store_checks_only_tables_of_the_history():
    HistoryStore(default_path()).close()
    with pytest.raises(ValueError, match="not tables of the history: sqlite_schema"):
        HistoryStore(default_path(), readonly=True, check={"daily", "sqlite_schema"})
    with pytest.raises(ValueError, match="in full"):
        HistoryStore(default_path(), check=HABIT_TABLES)


def test_status_shows_what_comes_next_at_the_last_step():
    plan = builtin_plan()
    status = habit_status(plan, list(days_of([600] * 60).values()), TODAY)
    assert status.next_goal_s is None and status.days_left_at_step is None


@pytest.mark.parametrize(
    "module",
    ["companion.coach.plan", "companion.coach.score", "companion.coach.habit", "companion.coach.stretch_prompts"],
)
def test_habit_modules_are_pure(module):
    loaded = modules_loaded_by(module)
    assert not {"sqlite3", "asyncio", "textual", "bleak", "companion.history", "companion.plan_file"} & loaded


def test_plan_text_says_when_the_goal_grows_and_when_it_is_the_last():
    from companion.commands.plan import plan_text

    plan = builtin_plan()
    growing = habit_status(plan, [*list(days_of([20, 20]).values()), worn(TODAY, 16)], TODAY)
    assert "Step            1 of 12; next: 30 min a day from tomorrow" in plan_text(growing)
    last = habit_status(plan, list(days_of([600] * 60).values()), TODAY)
    assert "Step            12 of 12, the last one" in plan_text(last)


def test_plan_text_names_the_mode_as_the_nudges_are_set():
    from companion.coach.habit import TRACKING
    from companion.commands.plan import plan_text

    status = habit_status(builtin_plan(), [], TODAY, TRACKING)
    assert plan_text(status, quiet=True)[0].split()[:2] == ["Mode", "tracking:"]
    assert "records quietly" in plan_text(status, quiet=True)[0]
    # The default nudges: named "reminders", as docs/habit.md names it, never "tracking",
    # which the settings screen names the quiet mode that is off.
    nudging = plan_text(status, quiet=False)[0]
    assert nudging.split()[:2] == ["Mode", "reminders:"] and "quietly" not in nudging
