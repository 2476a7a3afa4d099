"""The pure layers stay pure: drivers, frames and readings import no I/O library."""

from __future__ import annotations

import pytest
from fresh_imports import modules_loaded_by

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
    loaded = {name.split(".")[0] for name in modules_loaded_by(module)}
    assert not FORBIDDEN & set(loaded), f"{module} pulls in {FORBIDDEN & set(loaded)}"
