"""The body frame each sensor was last calibrated to, kept by the history store.

A live session's calibrations reach the store through the history writer, with the
sensor of the session; this module reads the latest one back when that sensor
connects again. Calibrations an earlier version kept in ``calibration.json`` are
imported once into the person's history, and the file is renamed aside (kept, not
deleted) so the import never runs twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

from .engine import BodyFrame
from .history.records import Calibration
from .history.store import HistoryError, HistoryStore, default_path, open_to_read
from .paths import data_dir

_log = logging.getLogger(__name__)

LEGACY_FILE_NAME = "calibration.json"
MIGRATED_SUFFIX = ".migrated"


def legacy_file() -> Path:
    """Where versions before the history kept calibrations held them."""
    return data_dir() / LEGACY_FILE_NAME


def migrate_legacy_file(history_path: Path | None = None) -> int:
    """Import ``calibration.json`` into the history (the person's own by default) once:
    each sensor's frame becomes a calibration dated by the file's time, unless the
    history already has one for that sensor. Returns how many were imported. The file
    is renamed to ``calibration.json.migrated`` afterwards; an unreadable file or a
    history that cannot be written leaves it where it is, for the next start."""
    path = legacy_file()
    try:
        text = path.read_text()
        at = path.stat().st_mtime
    except OSError:
        return 0
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        frames = {str(address).upper(): BodyFrame.from_dict(value) for address, value in data.items()}
    except (ValueError, KeyError, TypeError) as exc:
        # Nothing in it can be used: set it aside so it is neither lost nor re-read.
        _log.warning("%s is not a calibration file (%s); set aside", path, exc)
        frames = {}
    try:
        store = HistoryStore(history_path or default_path())
    except HistoryError as exc:
        _log.warning("calibrations in %s not imported yet: %s", path, exc)
        return 0
    try:
        known = store.calibrated_sensors()
        imported = 0
        for address, frame in frames.items():
            if address not in known:
                store.add_calibration(address, Calibration(at, frame.up, frame.forward))
                imported += 1
    except sqlite3.DatabaseError as exc:
        _log.warning("calibrations in %s not imported yet: %s", path, exc)
        return 0
    finally:
        store.close()
    try:
        path.rename(path.with_name(path.name + MIGRATED_SUFFIX))
    except OSError as exc:  # imported; a second import would find every sensor known
        _log.warning("could not rename %s: %s", path, exc)
    return imported


def load_frame(address: str, history_path: Path | None = None) -> BodyFrame | None:
    """The body frame last calibrated for this sensor, if the history has one (an
    unreadable history counts as none: the person calibrates again)."""
    path = history_path or default_path()
    if path == default_path() and legacy_file().exists():
        migrate_legacy_file(path)
    if not path.exists():
        return None
    try:
        # Checking only the calibrations (a year's bins take half a second to check,
        # and this runs as a sensor connects). A history from before calibrations
        # named their sensor is upgraded rather than read as having none.
        store = open_to_read(path, check={"calibrations"})
    except HistoryError:
        return None
    try:
        calibration = store.latest_calibration(address)
    except sqlite3.DatabaseError:
        return None
    finally:
        store.close()
    if calibration is None:
        return None
    return BodyFrame.from_dict({"up": list(calibration.up), "forward": list(calibration.forward)})


def save_frame(address: str, frame: BodyFrame, at: float, history_path: Path | None = None) -> None:
    """Store a body frame calibrated for this sensor at ``at`` (seconds since the epoch)
    outside a live session; a live session's calibrations go through the history writer."""
    store = HistoryStore(history_path or default_path())
    try:
        store.add_calibration(address.upper(), Calibration(at, frame.up, frame.forward))
    finally:
        store.close()
