"""Where the companion keeps its files. ``POSTURE_HOME`` redirects everything.

Everything the companion writes about a person's body (history, calibration,
recordings, exports) is created owner-only from the first byte: directories
``0700`` and files ``0600``, whatever the umask, never chmod-ed afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import platformdirs

APP_NAME = "posture"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def _home() -> Path | None:
    value = os.environ.get("POSTURE_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as ``0700`` directories.

    Only directories created here are given a mode; existing ones are left as the
    user set them.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
    return path


ensure_private_dir = private_dir


def create_private_file(path: Path, *, exclusive: bool = True, binary: bool = False) -> IO:
    """Open ``path`` for writing as a ``0600`` file, its directory created ``0700``.

    With ``exclusive`` an existing file is never touched (``FileExistsError``);
    without, an existing file is truncated and its mode tightened to ``0600``
    before anything is written into it.
    """
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    flags |= getattr(os, "O_NOFOLLOW", 0) if exclusive else 0
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # an existing file keeps its old mode otherwise
        if binary:
            return os.fdopen(fd, "wb")
        return os.fdopen(fd, "w", newline="", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def write_private_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a crash leaves the old or the new file, never
    half of one, and the content is never readable by others, not even briefly."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with create_private_file(temporary, exclusive=True, binary=True) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
