"""The slouch history: a local SQLite store, its writer, reports and exports.

The records (:mod:`.records`) and the time bins (:mod:`.bins`) are pure and import
without SQLite; the store's names below load :mod:`.store` (and ``sqlite3``) on
first use, so the live session can build records without opening a database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import (
        SCHEMA_VERSION,
        HistoryCorrupt,
        HistoryError,
        HistoryForeign,
        HistoryOutdated,
        HistoryReadOnly,
        HistoryStore,
        HistoryUnavailable,
        default_path,
        open_to_read,
    )

__all__ = [
    "SCHEMA_VERSION",
    "HistoryCorrupt",
    "HistoryError",
    "HistoryForeign",
    "HistoryOutdated",
    "HistoryReadOnly",
    "HistoryStore",
    "HistoryUnavailable",
    "default_path",
    "open_to_read",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
