"""One tracker per home: an exclusive ``flock`` on a file next to the history.

The kernel drops the lock when its holder dies, even by ``kill -9``, so a stale
lock file never blocks the next start; the file only carries the holder's pid
for the message a second instance prints.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import PostureError
from ..paths import ensure_private_dir


class AlreadyRunning(PostureError, RuntimeError):
    """Another process holds the lock."""

    def __init__(self, pid: int | None, path: Path) -> None:
        who = f"pid {pid}" if pid else "another process"
        super().__init__(f"a tracker is already running for this home ({who}, lock {path})")
        self.pid = pid
        self.path = path


def holder_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class TrackerLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> TrackerLock:
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(holder_pid(self.path), self.path) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Emptied before unlocking, so nobody reads our pid once we are gone; the
        # file itself stays (unlinking a flock file races with the next locker).
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> TrackerLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(path: Path) -> bool:
    """True while some process holds the lock (a probe that takes and drops it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
