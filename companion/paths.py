"""Where the companion keeps its files. ``POSTURE_HOME`` redirects everything."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "posture"


def _home() -> Path | None:
    value = os.environ.get("POSTURE_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` readable only by its owner (posture is health data)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
