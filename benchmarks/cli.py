"""How fast the command line starts, against a bare interpreter that imports argparse.

Each command runs in a fresh interpreter, as a shell or a status bar runs it, with
the runs of every command interleaved so that load on the machine hits them alike.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from . import Metric

RUNS = 15
RATIO_GOAL = 3.0


def _posture_command() -> list[str]:
    """The installed ``posture`` script of this interpreter, else ``python -m companion``."""
    script = Path(sys.executable).with_name("posture")
    if script.is_file():
        return [str(script)]
    found = shutil.which("posture")
    if found and Path(found).resolve().parent == Path(sys.executable).resolve().parent:
        return [found]
    return [sys.executable, "-m", "companion"]


def _has_command(posture: list[str], name: str) -> bool:
    done = subprocess.run([*posture, name, "--help"], stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return done.returncode == 0


# ``posture status`` exits 3 when no tracker runs (docs/cli.md); anything else is a failure.
_EXPECTED_STATUS = {"status": (0, 3)}


def _wall_s(name: str, argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in _EXPECTED_STATUS.get(name, (0,)):
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {message[-1] if message else ''}")
    return elapsed


def run() -> Iterator[Metric]:
    posture = _posture_command()
    commands = {"argparse": [sys.executable, "-c", "import argparse"], "help": [*posture, "--help"]}
    if _has_command(posture, "status"):
        commands["status"] = [*posture, "status"]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "POSTURE_HOME": home}  # status finds no tracker and no data here
        for name, argv in commands.items():  # warm the file cache
            _wall_s(name, argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, argv in commands.items():
                times[name].append(_wall_s(name, argv, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    yield Metric("cli_argparse_wall", median["argparse"], "s", 'python -c "import argparse", median of 15')
    yield Metric("cli_help_wall", median["help"], "s", "posture --help, median of 15")
    ratios = {name: median[name] / median["argparse"] for name in commands if name != "argparse"}
    if "status" in median:
        yield Metric("cli_status_wall", median["status"], "s", "posture status with no tracker running, median of 15")
    worst = max(ratios, key=ratios.get)
    measured = " and ".join(f"posture {name}" if name == "status" else "posture --help" for name in ratios)
    yield Metric(
        "cli_start_ratio",
        ratios[worst],
        "x",
        f"slowest of {measured} over python -c 'import argparse' (goal <= {RATIO_GOAL:g})",
    )
