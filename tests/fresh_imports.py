"""What importing one module pulls in, measured in a fresh interpreter: the layer
tests of several files ask it of the same modules, so each is asked once per
test process."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CODE = "import json, sys, importlib; importlib.import_module(sys.argv[1]); print(json.dumps(sorted(sys.modules)))"


@functools.cache
def modules_loaded_by(module: str) -> frozenset[str]:
    """Every module in ``sys.modules`` after ``import module`` in a new interpreter."""
    return frozenset(json.loads(subprocess.check_output([sys.executable, "-c", _CODE, module], text=True, cwd=ROOT)))


def within(names: frozenset[str], packages: set[str]) -> set[str]:
    """The names that are one of ``packages`` or inside one of them."""
    return {name for name in names for package in packages if name == package or name.startswith(package + ".")}
