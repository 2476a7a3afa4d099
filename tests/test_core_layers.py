"""The layers: a pure core, the import contracts in pyproject.toml, and the simulator
kept off every production import path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fresh_imports import ROOT, modules_loaded_by, within

# The engine, the live session's logic and the coach: no file, socket, database,
# settings-file or UI library, and no simulator.
CORE_MODULES = [
    "companion.engine",
    "companion.live",
    "companion.coach",
    "companion.coach.nudges",
    "companion.coach.stretch_prompts",
    "companion.coach.plan",
    "companion.coach.habit",
    "companion.settings.values",
    "companion.history.records",
    "companion.history.bins",
]
CORE_FORBIDDEN = {"sqlite3", "tomllib", "tomli_w", "textual", "socket", "asyncio", "bleak", "bumble", "companion.sim"}


def loaded_by(module: str) -> set[str]:
    return within(modules_loaded_by(module), CORE_FORBIDDEN)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_the_core_loads_no_io_library(module):
    bad = loaded_by(module)
    assert not bad, f"{module} pulls in {sorted(bad)}"


def test_the_core_reads_no_clock_and_opens_no_file():
    """Wall time is passed in (``clock``); nothing in the core reads it or a file."""
    import re

    calls = re.compile(
        r"\b(datetime\.now|datetime\.today|date\.today|time\.time|time\.monotonic|time\.sleep)\(|(?<![\w.])open\("
        r"|\.(read_text|write_text|read_bytes|write_bytes)\(|= datetime\.now\b"
    )
    paths = [
        *(ROOT / "companion/engine").glob("*.py"),
        *(ROOT / "companion/coach").glob("*.py"),
        ROOT / "companion/live.py",
    ]
    offenders = [f"{path.name}: {m.group(0)}" for path in paths for m in calls.finditer(path.read_text())]
    assert not offenders


def test_import_contracts_hold():
    """ui -> services -> engine, coach, history -> protocol; the protocol imports
    nothing from companion; production code does not import the simulator."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency"
    result = subprocess.run([lint, "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_wheel_ships_no_benchmarks_package():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(pattern.startswith("benchmarks") for pattern in include)
    from setuptools import find_packages

    found = find_packages(str(ROOT), include=include)
    assert "companion.sim" in found and "firmware_protocol" in found
    assert not [name for name in found if name.split(".")[0] in ("benchmarks", "tests")]


def test_the_protocol_package_holds_no_simulator():
    import re

    assert not (ROOT / "firmware_protocol" / "sim").exists()
    for path in (ROOT / "firmware_protocol").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) (companion|bumble)\b", text, re.M), path


def test_vendor_uuids_are_written_once():
    """A vendor's GATT map lives in its driver; the simulated sensor imports it."""
    import re

    seen: dict[str, list[str]] = {}
    for path in list((ROOT / "companion").rglob("*.py")) + list((ROOT / "firmware_protocol").rglob("*.py")):
        for uuid in set(
            re.findall(r'"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"', path.read_text())
        ):
            seen.setdefault(uuid, []).append(str(path.relative_to(ROOT)))
    assert seen and not {uuid: paths for uuid, paths in seen.items() if len(paths) > 1}
    for name in ("microbit", "witmotion", "upright"):
        assert not re.search(r'"[0-9a-f]{8}-|0000\{short', (ROOT / "companion/sim" / f"{name}.py").read_text())


# What the app, the tracker and the real-hardware commands load: everything but the
# simulator, which only --simulate and demo bring in.
PRODUCTION_MODULES = [
    "companion.ui.app",
    "companion.tracker.tracker",
    "companion.commands.tracker",
    "companion.simulation",
    "companion.link",
    "companion.body_frames",
    "companion.analysis",
]


@pytest.mark.parametrize("module", PRODUCTION_MODULES)
def test_production_modules_load_no_simulator(module):
    loaded = sorted(within(modules_loaded_by(module), {"companion.sim", "bumble"}))
    assert loaded == [], f"{module} pulls in {loaded}"
