"""``posture status``: kept apart from the rest of the CLI so a status bar that runs
it every few seconds loads only the socket client (a few tens of milliseconds)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .client import CommandFailed, NoTracker, request
from .statusline import FIELDS, TemplateError, render

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_TRACKER = 3
TIMEOUT_S = 1.0
NO_TRACKER_HINT = "start one with `posture track` (or `posture service install`)"
HELP = "One line of tracker status for tmux, waybar or a prompt (exit 3 when no tracker runs)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="every field as JSON (docs/control.md)")
    parser.add_argument(
        "--format", metavar="TEMPLATE", help="a template with " + ", ".join("{" + k + "}" for k in FIELDS)
    )


def run(args: argparse.Namespace) -> int:
    try:
        status = request("status", timeout_s=TIMEOUT_S)["status"]
    except NoTracker as exc:
        print(f"posture: {exc}; {NO_TRACKER_HINT}", file=sys.stderr)
        if args.json:  # a status bar reading JSON gets an object to show, not nothing
            print(json.dumps({"state": "no_tracker", "error": f"{exc}; {NO_TRACKER_HINT}"}), flush=True)
        return EXIT_NO_TRACKER
    except CommandFailed as exc:
        print(f"posture: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(status), flush=True)
        return EXIT_OK
    try:
        line = render(status, args.format)
    except TemplateError as exc:
        print(f"posture: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(line, flush=True)
    return EXIT_OK


def main(argv: Sequence[str]) -> int:
    from ..cliparse import OneLineParser

    parser = OneLineParser(prog="posture status", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
