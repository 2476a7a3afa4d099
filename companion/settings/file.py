"""The settings file: one TOML file in the config directory, edited by hand or by the app.

Every value is checked on load; a bad one is reported with its section, key and
allowed range, and the file is never rewritten behind the user's back.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from ..paths import config_dir, write_private_atomically
from .values import Settings, SettingsError, from_dict, to_dict

FILE_NAME = "settings.toml"


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default: the config directory's file); defaults if absent."""
    path = path or settings_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SettingsError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise SettingsError(f"{path}: not a settings file: values nested too deeply") from None
    try:
        return from_dict(data)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}", exc.key) from exc


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (a crash never leaves half a file), readable by the owner only."""
    path = path or settings_path()
    write_private_atomically(path, tomli_w.dumps(to_dict(settings)).encode())
    return path
