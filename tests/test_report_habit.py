"""``posture report``: the habit fields in --json, a week chart on a terminal, plain
text when piped."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from habit_history import write_day
from test_habit_weeks import MONDAY, WEEKS

from companion.cli import main
from companion.commands import history as history_commands
from companion.commands import plan as plan_commands
from companion.history import HistoryStore, default_path

LAST = MONDAY + timedelta(days=13)


def two_weeks(monkeypatch):
    store = HistoryStore(default_path())
    for offset, ((worn, slouches, stretches), *_rest) in enumerate(WEEKS):
        if worn:
            write_day(store, MONDAY + timedelta(days=offset), worn, slouch_min=slouches, stretches=stretches)
    store.close()
    monkeypatch.setattr(plan_commands, "local_today", lambda: LAST)


def test_report_json_carries_score_streak_and_goal(capsys, monkeypatch):
    two_weeks(monkeypatch)
    assert main(["report", "--json", "--days", "7"]) == 0
    data = json.loads(capsys.readouterr().out)
    # The same numbers as `posture plan` gives for that evening (test_habit_weeks).
    assert (data["score"], data["streak_days"], data["goal_met"]) == (100, 6, False)
    assert [d["score"] for d in data["days"]] == [97, 96, 100, 100, 94, 99, 100]
    assert [d["day"] for d in data["days"]][-1] == LAST.isoformat()
    assert all(d["goal_met"] in (True, False, None) for d in data["days"])


def test_report_on_a_terminal_draws_the_week(capsys, monkeypatch):
    two_weeks(monkeypatch)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["report"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Last 7 days")
    chart = lines[1:8]
    assert chart[-1].startswith(f"{LAST:%a %d}")
    assert "█" * 20 in chart[2] and " 100 " in chart[2]  # a day of 100 is a full bar
    assert "so far" in chart[-1] and "30/60 min" in chart[-1]


def test_report_piped_is_plain_text(capsys, monkeypatch):
    two_weeks(monkeypatch)
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert "█" not in out and "Last 7 days" not in out
    assert out.splitlines()[0].split()[-1] == "score"
    assert "Today 30/60 min (50%) · streak 6 d · score 100" in out


def test_bars_have_eighths():
    assert history_commands.bar(0.0, 4) == "    "
    assert history_commands.bar(1.0, 4) == "████"
    assert history_commands.bar(0.5 + 1 / 32, 4) == "██▏ "
    assert history_commands.bar(2.0, 4) == "████"
