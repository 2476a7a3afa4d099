"""Where the tracker's socket and lock live.

The socket goes in the user's runtime directory (``$XDG_RUNTIME_DIR/posture`` on
Linux, through platformdirs), or under ``POSTURE_HOME/run`` when that is set, so
each home has its own tracker. The lock sits next to the history it guards.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..paths import APP_NAME, _home, data_dir, ensure_private_dir

SOCKET_NAME = "tracker.sock"
LOCK_NAME = "tracker.lock"
# sun_path holds 108 bytes on Linux and 104 on macOS, the terminating zero included.
MAX_SOCKET_PATH = 100


def runtime_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "run"
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (an SSH session without logind) platformdirs falls
        # back to /tmp/runtime-UID, which ensure_socket_dir makes private.
        warnings.simplefilter("ignore")
        import platformdirs

        return Path(platformdirs.user_runtime_dir(APP_NAME))


def socket_path() -> Path:
    """The control socket's path; a deep home falls back to a short private path in
    the temporary directory, named after the home, because sun_path is short."""
    path = runtime_dir() / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    import hashlib
    import tempfile

    digest = hashlib.sha256(os.fsencode(path.parent.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}" / digest / SOCKET_NAME


def lock_path() -> Path:
    return data_dir() / LOCK_NAME


def ensure_socket_dir(path: Path) -> Path:
    """The socket's directory, created 0700; refused when another user owns it or
    others may enter it (someone could swap the socket)."""
    directory = path.parent
    if directory.parent.name == f"{APP_NAME}-{os.getuid()}":
        ensure_private_dir(directory.parent)
    ensure_private_dir(directory)
    info = directory.stat()
    if info.st_uid != os.getuid():
        raise PermissionError(f"{directory} belongs to another user")
    if info.st_mode & 0o077:
        directory.chmod(0o700)
    return directory
