"""The code stays linted, formatted and type-checked: ruff (lint and format) and mypy,
configured in pyproject.toml, report nothing. Skipped when the tools are not installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.start_early  # see tests/conftest.py

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(argv[1:])} reported:\n{result.stdout}{result.stderr}"


def test_ruff_check_reports_nothing():
    _run(_tool("ruff"), "check", "--no-fix", "--output-format", "concise", ".")


def test_ruff_format_leaves_every_file_as_it_is():
    _run(_tool("ruff"), "format", "--check", ".")


def test_mypy_reports_nothing():
    # The files and options are in pyproject.toml; the incremental cache keeps reruns fast.
    _run(_tool("mypy"))
