"""The slouch history: a local SQLite store, its writer, reports and exports."""

from .store import HistoryError, HistoryStore, SCHEMA_VERSION, default_path

__all__ = ["HistoryError", "HistoryStore", "SCHEMA_VERSION", "default_path"]
