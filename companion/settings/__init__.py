"""Settings: the values and their checks (:mod:`.values`, pure) and the TOML file they
live in (:mod:`.file`). The file half loads on first use of ``load``, ``save`` or
``settings_path``, so the pure half can be imported without ``tomllib``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..engine import DELAY_CHOICES_S
from .values import (
    BreakSettings,
    NudgeSettings,
    QuietHours,
    RememberedSensor,
    Settings,
    SettingsError,
    from_dict,
    to_dict,
    with_value,
)

if TYPE_CHECKING:
    from .file import FILE_NAME, load, save, settings_path

_FILE_NAMES = frozenset({"FILE_NAME", "load", "save", "settings_path"})


def __getattr__(name: str) -> Any:
    if name in _FILE_NAMES:
        from . import file

        return getattr(file, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DELAY_CHOICES_S",
    "FILE_NAME",
    "BreakSettings",
    "NudgeSettings",
    "QuietHours",
    "RememberedSensor",
    "Settings",
    "SettingsError",
    "from_dict",
    "load",
    "replace",
    "save",
    "settings_path",
    "to_dict",
    "with_value",
]
