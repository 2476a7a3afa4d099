"""The ``posture`` command line: the parser and a small dispatcher.

Every option of every command is declared here; the commands themselves live in
:mod:`companion.commands`, one module per family (sensor, analysis, history, plan,
tracker, app), and only the family of the command that runs is imported. So
``posture --help`` and the commands that read local files start in a few tens of
milliseconds: Bleak, the simulator, Bumble, Textual and numpy load inside the
commands that use them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine, Sequence
from typing import cast

from . import __version__
from .cliparse import OneLineParser
from .commands.output import EXIT_NO_SENSOR, EXIT_OK, EXIT_USAGE, CliError, Output, ReaderGone
from .errors import EXIT_INTERRUPTED, PostureError


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="posture",
        description="Posture companion: a BLE motion sensor on your upper back, "
        "live posture feedback in the terminal, local history. Not a medical device.",
    )
    parser.add_argument("--version", action="version", version=f"posture {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log link details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    add("demo", "app.cmd_demo", "Open the app on a simulated sensor worn by a simulated person (no hardware).")
    p = add("app", "app.cmd_app", "Open the app on the remembered sensor (the default command).")
    _sensor_options(p)
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="with --kind/--address, scan for up to S seconds (default 5)",
    )

    p = add("scan", "sensor.cmd_scan", "List supported sensors in range.")
    p.add_argument("--simulate", action="store_true", help="scan a virtual radio with simulated sensors")
    p.add_argument("--timeout", type=_positive_float, default=5.0, metavar="S", help="scan for S seconds (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list of {name, address, kind, rssi}")

    p = add(
        "stream", "sensor.cmd_stream", "Print decoded readings from the remembered sensor, else the first one heard."
    )
    p.add_argument("--simulate", action="store_true", help="stream from a simulated sensor")
    _streaming_options(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON lines: t_s, accel_g, gyro_dps, seq; then a summary with kind and address",
    )
    _sensor_options(p)

    p = add("record", "sensor.cmd_record", "Record raw readings to a CSV file (t,ax,ay,az,gx,gy,gz).")
    p.add_argument("out", metavar="OUT.csv", help="file to write (an existing one only with --force)")
    p.add_argument("--force", action="store_true", help="replace OUT.csv if it exists")
    p.add_argument("--simulate", action="store_true", help="record a simulated wearer")
    _streaming_options(p)
    _sensor_options(p)

    p = add(
        "analyze",
        "analysis.cmd_analyze",
        "Replay a recording through the posture engine, with other thresholds if wanted.",
    )
    p.add_argument("file", metavar="FILE.csv", help="recording with header t,ax,ay,az,gx,gy,gz")
    p.add_argument(
        "--calibrate",
        type=_window,
        metavar="START:END",
        help="take upright from this window (default: the recorded calibration, else the first 4 s of sitting still)",
    )
    p.add_argument(
        "--lean",
        type=_window,
        metavar="START:END",
        help="take forward from this window of leaning forward, as the guided calibration does",
    )
    p.add_argument(
        "--threshold",
        type=float,
        metavar="DEG",
        help="forward flexion beyond upright that counts (default: the engine's, 10)",
    )
    p.add_argument(
        "--delay",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds held before an alert: 5, 15, 30, 60 or 120 (default 30)",
    )
    p.add_argument("--json", action="store_true", help="frames (one per second), episodes and alerts as JSON")

    p = add("report", "history.cmd_report", "Per-day upright share, episodes, alerts, longest slouch, stretches.")
    p.add_argument("--days", type=_positive_int, default=7, metavar="N", help="the last N days (default 7)")
    p.add_argument("--json", action="store_true", help="days and the hour you slouch most, as JSON")

    p = add(
        "export",
        "history.cmd_export",
        "Export episodes, time bins, stretches, alerts and days (formats in docs/history.md).",
    )
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default, one table per file) or json")
    p.add_argument(
        "--table",
        choices=("episodes", "bins", "stretches", "alerts", "days"),
        help="only this table (CSV: required unless -o names a folder)",
    )
    p.add_argument("--since", metavar="DATE", help="only from this date on (YYYY-MM-DD)")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE|DIR",
        help="write to FILE (or, for CSV of every table, one file each in DIR) instead of standard output",
    )
    p.add_argument("--force", action="store_true", help="replace files that exist (never the history itself)")

    p = add(
        "check-history",
        "history.cmd_check_history",
        "Check the history file; with --set-aside keep a damaged one aside.",
    )
    p.add_argument("--set-aside", action="store_true", help="move a damaged history aside so a new one starts")

    p = add("plan", "plan.cmd_plan", "Today's wear goal from the training plan, progress, streak and what comes next.")
    p.add_argument(
        "--json", action="store_true", help="goal, progress, step, streak, score and the last 7 days as JSON"
    )

    _tracker_commands(add)
    return parser


def _tracker_commands(add: Callable[[str, str, str], argparse.ArgumentParser]) -> None:
    from .tracker import status_command  # the socket client only: status bars run it often

    kinds = ("reference", "witmotion", "upright_go", "microbit")
    p = add(
        "track",
        "tracker.cmd_track",
        "Track in the background without a UI: link, engine, nudges, history (logs to stderr). "
        "Ctrl-C or SIGTERM stops it cleanly; `posture status` and the app attach to it. With --simulate "
        "its history is kept apart (data/demo/), never mixed with yours.",
    )
    p.add_argument("--simulate", action="store_true", help="track a simulated wearer on a virtual radio")
    p.add_argument("--kind", choices=kinds, help="sensor kind (default: the remembered sensor's)")
    p.add_argument("--address", metavar="A", help="sensor address (default: the remembered sensor)")
    p.add_argument("--name", metavar="NAME", help=argparse.SUPPRESS)

    status_command.add_arguments(add("status", "tracker.cmd_status", status_command.HELP))

    p = add(
        "pause",
        "tracker.cmd_pause",
        "Pause the running tracker (nothing is recorded), for MINUTES or until `posture resume`.",
    )
    p.add_argument("minutes", type=_minutes, nargs="?", metavar="MINUTES", help="1 to 1440 (default: until resumed)")
    add("resume", "tracker.cmd_resume", "Resume the running tracker's tracking and nudges.")
    p = add("snooze", "tracker.cmd_snooze", "Hold the running tracker's nudges for MINUTES; tracking goes on.")
    p.add_argument("minutes", type=_minutes, metavar="MINUTES", help="1 to 1440")
    add(
        "calibrate",
        "tracker.cmd_calibrate",
        "Guided calibration against the running tracker, in the terminal: sit upright and still, then lean "
        "forward. Ctrl-C cancels it.",
    )

    p = add(
        "service",
        "tracker.cmd_service",
        "Run the tracker at login: a systemd user unit (Linux) or a launchd agent (macOS).",
    )
    p.add_argument("action", choices=("install", "uninstall", "status"))
    p.add_argument("--dry-run", action="store_true", help="print the file without writing or enabling it")
    p.add_argument("--kind", choices=kinds, help="with --address: the sensor kind")
    p.add_argument("--address", metavar="A", help="a sensor other than the remembered one")


def _streaming_options(p: argparse.ArgumentParser) -> None:
    """How long ``stream`` and ``record`` run and wait for their sensor."""
    p.add_argument(
        "--seconds",
        type=_positive_float,
        default=None,
        metavar="N",
        help="stop after N seconds of streaming (default: until Ctrl-C)",
    )
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="wait up to S seconds for the sensor to advertise (default 5)",
    )


def _sensor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kind",
        type=_sensor_kind,
        metavar="KIND",
        help="the nearest sensor of this kind: reference, witmotion, upright_go or microbit",
    )
    p.add_argument(
        "--address", type=_address, metavar="ADDR", help="the sensor with this address (as `posture scan` lists it)"
    )


def _sensor_kind(text: str) -> str:
    from .drivers import DRIVERS

    kinds = [driver.kind for driver in DRIVERS]
    if text not in kinds:
        raise argparse.ArgumentTypeError(f"unknown sensor kind {text!r}; known: {', '.join(kinds)}")
    return text


def _address(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an address is required, e.g. F0:00:00:00:00:01")
    return text.strip().upper()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1 or value > 3650:
        raise argparse.ArgumentTypeError(f"must be from 1 to 3650, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 1 <= value <= 24 * 60:
        raise argparse.ArgumentTypeError(f"must be from 1 to 1440 minutes, got {text}")
    return value


def _window(text: str) -> tuple[float, float]:
    try:
        start, end = (float(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END in seconds, got {text!r}") from None
    if not 0 <= start < end:
        raise argparse.ArgumentTypeError(f"START must be >= 0 and below END, got {text!r}")
    return start, end


def resolve(handler: str) -> Callable[[argparse.Namespace, Output], object]:
    """``"family.function"`` -> the function, importing its family module now."""
    import importlib

    family, _, name = handler.partition(".")
    module = importlib.import_module(f"companion.commands.{family}")
    return getattr(module, name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # named by the command they were given to, with its help
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command = commands.choices.get(args.command) if args.command else None
        (command or parser).error(f"unrecognized arguments: {' '.join(extras)}")
    import logging

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.CRITICAL,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        args = parser.parse_args(["app"])
    out = Output(json=getattr(args, "json", False))
    try:
        outcome = resolve(args.handler)(args, out)
        if isinstance(outcome, Coroutine):
            import asyncio

            outcome = asyncio.run(outcome)
        return cast(int, outcome)
    except ReaderGone:  # `| head`: the reader has what it wanted
        return EXIT_OK
    except PostureError as exc:  # one line and the class's exit status (docs/cli.md)
        out.message(f"posture: {exc}")
        return exc.exit_status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


__all__ = ["EXIT_NO_SENSOR", "EXIT_OK", "EXIT_USAGE", "CliError", "Output", "build_parser", "main"]
