"""The pure layers stay pure: drivers, frames and readings import no I/O library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE_MODULES = [
    "firmware_protocol.frames",
    "firmware_protocol.stream",
    "firmware_protocol.vectors",
    "companion.readings",
    "companion.drivers",
    "companion.engine",
    "companion.coach",
]
FORBIDDEN = {"asyncio", "bleak", "bumble", "sqlite3", "textual"}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_loads_no_io_library(module):
    code = (
        "import json, sys, importlib; importlib.import_module(sys.argv[1]); "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code, module], text=True))
    assert not FORBIDDEN & set(loaded), f"{module} pulls in {FORBIDDEN & set(loaded)}"
