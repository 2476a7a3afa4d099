"""``posture report``, ``export`` and ``check-history``: reading the stored history."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .output import EXIT_NO_SENSOR, EXIT_OK, EXIT_USAGE, CliError, Output

if TYPE_CHECKING:
    from ..coach.habit import HabitStatus


def _open_history():
    from ..history import HistoryError, HistoryStore, default_path

    path = default_path()
    try:
        return HistoryStore(path, readonly=True)
    except HistoryError as exc:
        message = str(exc)
        if not path.exists():
            # The first thing a new user tries after the demo: its history is not this one.
            message += " (`posture demo` and `--simulate` keep theirs apart, in data/demo/)"
        raise CliError(message, EXIT_NO_SENSOR) from exc


def cmd_report(args: argparse.Namespace, out: Output) -> int:
    import sqlite3

    from ..coach.habit import TRACKING
    from ..history.days import habit_from_store
    from ..history.report import build_report
    from ..plan_file import load_plan
    from . import plan as plan_commands

    # The mode changes only the plan's advice, which the report does not show: the
    # settings (and with them the engine and numpy) stay unloaded.
    plan, warning = load_plan()
    mode = TRACKING
    if warning:
        out.message(f"posture: {warning}")
    today = plan_commands.local_today()
    store = _open_history()
    try:
        report = build_report(store, args.days, today)
        habit = habit_from_store(store, plan, today, mode)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{store.path} could not be read ({exc}); try `posture check-history`") from exc
    finally:
        store.close()
    if args.json:
        data = report.as_json()
        data.update(habit.report_fields())
        for day in data["days"]:
            status = habit.day_status(date.fromisoformat(day["day"]))
            day["score"] = None if status is None else status.score
            day["goal_met"] = None if status is None else status.goal_met
        out.result(json.dumps(data))
        return EXIT_OK
    if sys.stdout.isatty():
        for line in week_chart(habit):
            out.result(line)
        out.result("")
    out.result(
        f"{'day':<12}{'upright':>8}{'worn':>8}{'episodes':>9}{'alerts':>7}{'held back':>10}{'longest':>9}"
        f"{'stretches':>10}{'score':>7}"
    )
    for day in report.days:
        share = "-" if day.upright_share is None else f"{day.upright_share:.0%}"
        tracked = worn_text(day.tracked_s)
        longest = f"{day.longest_slouch_s / 60:.1f} min" if day.longest_slouch_s else "-"
        status = habit.day_status(date.fromisoformat(day.day))
        score = "-" if status is None or status.score is None else str(status.score)
        out.result(
            f"{day.day:<12}{share:>8}{tracked:>8}{day.episodes:>9}{day.alerts:>7}{day.alerts_held_back:>10}"
            f"{longest:>9}{day.stretches:>10}{score:>7}"
        )
    out.result(report.summary())
    out.result(habit.goal_line())
    return EXIT_OK


def worn_text(seconds: float) -> str:
    """Time worn for the report's column: hours from an hour on, minutes below it (a
    short day read ``0.0 h``)."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{round(seconds / 60)} min"
    return "<1 min" if seconds > 0 else "0 min"


#: Eighths of a block, for bars with a resolution of 1/8 of a character.
_EIGHTHS = " ▏▎▍▌▋▊▉"
CHART_WIDTH = 20


def bar(fraction: float, width: int = CHART_WIDTH) -> str:
    """A horizontal bar ``fraction`` (0-1) of ``width`` characters long, to 1/8 of one."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def week_chart(habit: HabitStatus) -> list[str]:
    """The last seven days as bars of the score, with the wear against the goal."""
    lines = ["Last 7 days: score (0-100), worn against the day's goal"]
    for day in habit.last(7):
        score = "   -" if day.score is None else f"{day.score:>4}"
        fill = bar((day.score or 0) / 100)
        if day.goal_met:
            met = "goal met"
        elif day.day == habit.today:
            met = "so far"
        else:
            met = "short" if day.goal_met is False else ("not worn" if day.worn_s <= 0 else "")
        worn = f"{int(day.worn_s // 60)}/{int(day.goal_s // 60)} min"  # as goal_line() counts
        lines.append(f"{day.day:%a %d}  {fill}{score}  {worn:>12}  {met}".rstrip())
    return lines


def _export_targets(args: argparse.Namespace, tables: Sequence[str]) -> list[tuple[str, Path]]:
    """(table or "all", file) pairs to write, checked before anything is written:
    never the history store or its WAL, never an existing file without --force."""
    import os

    from ..history.store import default_path, sidecars

    output = Path(args.output).expanduser()
    if args.format == "csv" and args.table is None:
        if output.exists() and not output.is_dir():
            raise CliError(
                f"-o {output}: CSV holds one table per file; give a folder for one file each, "
                "or choose one with --table",
                EXIT_USAGE,
            )
        targets = [(name, output / f"{name}.csv") for name in tables]
    else:
        if output.is_dir():
            raise CliError(f"-o {output} is a folder; give a file name", EXIT_USAGE)
        targets = [(tables[0] if args.table else "all", output)]
    store = default_path()
    protected = [store, *sidecars(store)]
    for _name, path in targets:
        for guarded in protected:
            same = os.path.abspath(path) == os.path.abspath(guarded)
            if not same and path.exists() and guarded.exists():
                same = path.samefile(guarded)
            if same:
                raise CliError(f"refusing to write over the history itself ({guarded})", EXIT_USAGE)
        if (path.exists() or path.is_symlink()) and not args.force:
            raise CliError(f"{path} exists; add --force to replace it", EXIT_USAGE)
    return targets


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    import sqlite3
    from datetime import datetime as _dt

    from ..history.export import TABLES, collect, to_csv, to_json
    from ..paths import create_private_file

    since_s = 0.0
    if args.since:
        try:
            since_s = _dt.fromisoformat(args.since).timestamp()
        except ValueError:
            raise CliError(f"--since {args.since!r} is not a date like 2026-11-01", EXIT_USAGE) from None
    if args.format == "csv" and args.table is None and not args.output:
        raise CliError(
            f"CSV holds one table: choose it with --table ({'|'.join(TABLES)}), or write one file each with -o DIR",
            EXIT_USAGE,
        )
    tables = [args.table] if args.table else list(TABLES)
    targets = _export_targets(args, tables) if args.output else []
    store = _open_history()
    try:
        data = collect(store, since_s)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{store.path} could not be read ({exc}); try `posture check-history`") from exc
    finally:
        store.close()
    if args.table and args.format == "json":
        data = {args.table: data[args.table]}

    def render(name: str) -> str:
        return to_json(data) if args.format == "json" else to_csv(data, name)

    if not targets:
        out.result(render(tables[0]).rstrip("\n"))
        return EXIT_OK
    for name, path in targets:
        try:
            with create_private_file(path, exclusive=not args.force) as handle:
                handle.write(render(name))
        except FileExistsError:
            raise CliError(f"{path} exists; add --force to replace it", EXIT_USAGE) from None
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
        rows = len(data[name]) if name in data else sum(len(v) for v in data.values())
        noun = name if name != "all" else "rows"
        if rows == 1:  # "1 episode", "1 stretch"
            noun = noun[:-2] if noun.endswith("ches") else noun[:-1]
        out.message(f"wrote {rows} {noun} to {path}")
    return EXIT_OK


def cmd_check_history(args: argparse.Namespace, out: Output) -> int:
    from ..history import HistoryCorrupt, HistoryError
    from ..history.store import HistoryForeign, default_path, inspect, set_aside

    # The verdict is the command's result: on stdout, so `posture check-history >
    # log` keeps it and a script can read it; a damaged file is a one-line error.
    path = default_path()
    if not path.exists():
        out.result(f"no history yet at {path}")
        return EXIT_OK
    try:
        version = inspect(path)
    except (HistoryCorrupt, HistoryForeign) as exc:
        # Asked for, a damaged or unrecognised file is renamed, never deleted: nothing is lost.
        if not args.set_aside:
            raise CliError(str(exc)) from exc
        try:
            moved = set_aside(path)
        except OSError as os_exc:
            raise CliError(f"cannot move {path} aside: {os_exc.strerror or os_exc}") from os_exc
        what = "was damaged" if isinstance(exc, HistoryCorrupt) else "is not a posture history"
        out.result(f"{path} {what}; kept as {moved}. A new history starts with the next run.")
        return EXIT_OK
    except HistoryError as exc:
        raise CliError(str(exc)) from exc
    out.result(f"{path}: a sound posture history (schema {version})")
    return EXIT_OK
