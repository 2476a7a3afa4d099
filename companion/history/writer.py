"""Writing the history from a background thread, in batched transactions.

``put`` never blocks the caller (the UI). The thread commits at least once a
second, so a crash loses at most about a second of what was handed over (plus the
bin still being filled). A failed write (disk full, file locked) is reported once
through ``on_error``; its records are kept and retried, up to a cap.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .records import Record
from .store import HistoryError, HistoryStore

MAX_KEPT = 200_000  # records kept for retry while the disk is full (~ a week of bins)
RETRY_S = 5.0
_STOP = object()
_TICK = object()


class _Flush:
    def __init__(self, done: threading.Event) -> None:
        self.done = done


class HistoryWriter:
    def __init__(
        self,
        path: Path,
        *,
        commit_every_s: float = 1.0,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.commit_every_s = commit_every_s
        self.on_error = on_error or (lambda message: None)
        self.error = ""
        self.written = 0
        self.dropped = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._opened = threading.Event()

    def start(self) -> HistoryWriter:
        self._thread.start()
        self._opened.wait(10.0)
        return self

    def put(self, record: Record) -> None:
        self._queue.put(record)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until everything handed over so far is committed (or has failed)."""
        done = threading.Event()
        self._queue.put(_Flush(done))
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    def _report(self, message: str) -> None:
        if message != self.error:
            self.error = message
            if message:
                self.on_error(message)

    def _run(self) -> None:
        try:
            store = HistoryStore(self.path)
        except HistoryError as exc:
            self._report(str(exc))
            self._opened.set()
            self._drain_without_store()
            return
        self._opened.set()
        pending: list[Record] = []
        last_commit = time.monotonic()
        retry_at = 0.0
        try:
            while True:
                wait = max(0.01, self.commit_every_s - (time.monotonic() - last_commit))
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    item = _TICK
                if item is _STOP:
                    self._commit(store, pending)
                    return
                flush = item if isinstance(item, _Flush) else None
                if item is not _TICK and flush is None:
                    pending.append(item)  # type: ignore[arg-type]
                now = time.monotonic()
                due = flush is not None or len(pending) >= 1000 or now - last_commit >= self.commit_every_s
                if due and pending and now >= retry_at:
                    if self._commit(store, pending):
                        pending = []
                    else:
                        retry_at = now + RETRY_S
                        if len(pending) > MAX_KEPT:
                            self.dropped += len(pending) - MAX_KEPT
                            del pending[: len(pending) - MAX_KEPT]
                    last_commit = now
                if flush is not None:
                    flush.done.set()
        finally:
            store.close()

    def _commit(self, store: HistoryStore, records: list[Record]) -> bool:
        if not records:
            return True
        try:
            store.write(records)
        except sqlite3.Error as exc:
            text = str(exc)
            if "full" in text:
                self._report(f"The disk is full: the history is not being saved ({text}). Posture tracking goes on.")
            else:
                self._report(f"The history could not be saved ({text}); retrying.")
            return False
        self.written += len(records)
        if self.error:
            self._report("")
        return True

    def _drain_without_store(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, _Flush):
                item.done.set()
            else:
                self.dropped += 1
