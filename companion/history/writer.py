"""Writing the history from a background thread, in batched transactions.

``put`` never blocks the caller (the UI) and ``start`` waits at most a second for
the store to open. The thread commits at least once a second, so a crash loses at
most about a second of what was handed over (plus the bin still being filled).

When the store cannot be opened or written (unwritable folder, full disk, damaged,
foreign or read-only file) the problem is reported through ``on_error`` as soon as
it is seen (and ``on_error("")`` once it is over), tracking goes on, and records are kept in memory (up to ``MAX_KEPT``,
oldest dropped first and counted) and written once the store is back. A failed
open is retried every ``RETRY_S``; a damaged or foreign file only once it changes
(moved aside, replaced), so it is never checked over and over.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .records import Record
from .store import HistoryCorrupt, HistoryError, HistoryForeign, HistoryStore

MAX_KEPT = 200_000  # records kept while the store is unavailable (~ a week of bins)
RETRY_S = 5.0
OPEN_WAIT_S = 1.0  # start() never waits longer than this for the store
_STOP = object()
_TICK = object()
_log = logging.getLogger(__name__)


class _Flush:
    def __init__(self, done: threading.Event) -> None:
        self.done = done


def _signature(path: Path) -> tuple[int, int, float] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime


def ending_stale_sessions(clock: Callable[[], datetime]) -> Callable[[HistoryStore], None]:
    """The ``on_open`` of the app's and the tracker's writers: the sessions a crash
    (``kill -9``, a power cut) left open end at the last thing stored for each."""

    def end_stale_sessions(store: HistoryStore) -> None:
        closed = store.close_stale_sessions(clock().timestamp())
        if closed:
            _log.info("ended %d session(s) a crash left open", closed)

    return end_stale_sessions


class HistoryWriter:
    def __init__(
        self,
        path: Path,
        *,
        commit_every_s: float = 1.0,
        on_error: Callable[[str], None] | None = None,
        on_open: Callable[[HistoryStore], object] | None = None,
    ) -> None:
        """``on_open``: run on the writer's thread the first time the store opens,
        before anything is written (ending the sessions a crash left open), never
        again: once this writer has written, an open session may be its own. The
        caller's thread never waits for it. An error in it is logged; writing goes on."""
        self.path = path
        self.commit_every_s = commit_every_s
        self.on_error = on_error or (lambda message: None)
        self.on_open = on_open
        self.error = ""  # the current problem, empty while the history is being saved
        self.written = 0
        self.dropped = 0
        self._pending: list[Record] = []
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._opened = threading.Event()

    @property
    def kept(self) -> int:
        """Records handed over and not yet written (held while the store is away)."""
        return len(self._pending)

    def start(self, wait_s: float | None = None) -> HistoryWriter:
        self._thread.start()
        self._opened.wait(OPEN_WAIT_S if wait_s is None else wait_s)
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
                _log.warning("%s", message)
            try:
                self.on_error(message)  # empty: the history is being saved again
            except Exception:  # noqa: BLE001 - whatever the receiver (the UI) raises, keep writing
                _log.exception("history problem not shown")

    def _run(self) -> None:
        store: HistoryStore | None = None
        retry_at = 0.0
        seen: tuple[int, int, float] | None = None
        last_commit = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                if store is None and now >= retry_at:
                    store, seen = self._open(seen)
                    retry_at = now + RETRY_S
                    self._opened.set()
                wait = self._wait_s(store, last_commit, retry_at)
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    item = _TICK
                stop = item is _STOP
                flush = item if isinstance(item, _Flush) else None
                if item is not _TICK and flush is None and not stop:
                    self._pending.append(item)  # type: ignore[arg-type]  # a record: the sentinels are excluded above
                now = time.monotonic()
                due = (
                    stop or flush is not None or len(self._pending) >= 1000 or now - last_commit >= self.commit_every_s
                )
                if due and self._pending and store is not None and (now >= retry_at or stop or not self.error):
                    if self._commit(store):
                        self._pending = []
                    else:
                        retry_at = now + RETRY_S
                        if self._store_broken():
                            store.close()
                            store, seen = None, None
                    last_commit = now
                self._cap()
                if flush is not None:
                    flush.done.set()
                if stop:
                    return
        except Exception as exc:  # noqa: BLE001 - never die silently: say so, then keep the caller unblocked
            self._report(f"The history writer stopped ({type(exc).__name__}: {exc}); the history is not being saved.")
            _log.exception("history writer failed")
            self._opened.set()
            self._drain()
        finally:
            if store is not None:
                store.close()

    def _wait_s(self, store: HistoryStore | None, last_commit: float, retry_at: float) -> float | None:
        """How long to wait for the next record: until the store is to be opened
        again, until the records held are due to be written (and a failed write may
        be tried again), or, with nothing to write, until something arrives. An idle
        writer sleeps: the tracker runs all day."""
        now = time.monotonic()
        if store is None:
            return max(0.01, retry_at - now)
        if not self._pending:
            return None
        due = last_commit + self.commit_every_s
        if self.error:
            due = max(due, retry_at)
        return max(0.01, due - now)

    def _open(self, seen: tuple[int, int, float] | None) -> tuple[HistoryStore | None, tuple[int, int, float] | None]:
        signature = _signature(self.path)
        if seen is not None and signature == seen:
            return None, seen  # the same damaged or foreign file: checking it again cannot help
        try:
            store = HistoryStore(self.path)
        except (HistoryCorrupt, HistoryForeign) as exc:
            self._report(f"{exc} Tracking goes on; what is recorded now is kept in memory meanwhile.")
            return None, _signature(self.path)
        except HistoryError as exc:
            self._report(f"{exc} Tracking goes on; retrying every {RETRY_S:g} s.")
            return None, None
        except OSError as exc:
            self._report(f"The history at {self.path} cannot be opened ({exc.strerror or exc}). Tracking goes on.")
            return None, None
        if self.on_open is not None:
            on_open, self.on_open = self.on_open, None
            try:
                on_open(store)
            except Exception:  # noqa: BLE001 - the store is sound: writing goes on; said in the log
                # Busy or read-only, say: tried again at the next start.
                _log.exception("history opened, but %s failed", getattr(on_open, "__name__", "on_open"))
        if self.error:
            self._report("")
        return store, None

    def _store_broken(self) -> bool:
        return "malformed" in self.error or "not a database" in self.error

    def _cap(self) -> None:
        extra = len(self._pending) - MAX_KEPT
        if extra > 0:
            self.dropped += extra
            del self._pending[:extra]

    def _commit(self, store: HistoryStore) -> bool:
        records = self._pending
        try:
            store.write(records)
        except sqlite3.Error as exc:
            text = str(exc)
            if "full" in text:
                self._report(f"The disk is full: the history is not being saved ({text}). Posture tracking goes on.")
            elif "readonly" in text or "read-only" in text:
                self._report(
                    f"{self.path} has become read-only ({text}): the history is not being saved. Tracking goes on."
                )
            elif "malformed" in text or "not a database" in text:
                self._report(f"{self.path} is damaged ({text}): nothing more is written into it. Tracking goes on.")
            else:
                self._report(f"The history could not be saved ({text}); retrying.")
            return False
        except Exception as exc:  # noqa: BLE001 - an unexpected failure is reported and retried, not fatal
            self._report(f"The history could not be saved ({type(exc).__name__}: {exc}); retrying.")
            return False
        self.written += len(records)
        if self.error:
            self._report("")
        return True

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, _Flush):
                item.done.set()
            else:
                self._pending.append(item)  # type: ignore[arg-type]  # a record: the sentinels are excluded above
                self._cap()
