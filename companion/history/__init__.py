"""The slouch history: a local SQLite store, its writer, reports and exports."""

from .store import (
    HistoryCorrupt,
    HistoryError,
    HistoryForeign,
    HistoryReadOnly,
    HistoryStore,
    HistoryUnavailable,
    SCHEMA_VERSION,
    default_path,
)

__all__ = [
    "HistoryCorrupt", "HistoryError", "HistoryForeign", "HistoryReadOnly", "HistoryStore", "HistoryUnavailable",
    "SCHEMA_VERSION", "default_path",
]
