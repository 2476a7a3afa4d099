"""The history database: one SQLite file, WAL mode, owner-only, versioned schema.

A file that is not a readable posture history is reported and never touched; a
newer schema than this version knows is refused rather than downgraded.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..paths import data_dir, ensure_private_dir
from .records import (
    Alert,
    BalanceCheck,
    Bin,
    Calibration,
    Episode,
    Record,
    SessionEnded,
    SessionStarted,
    Stretch,
)

FILE_NAME = "history.sqlite3"

# Each entry takes the schema from the previous version to the next. Never edit a
# released entry: add a new one.
MIGRATIONS: list[str] = [
    # 1: sessions, calibrations, time bins, episodes, alerts, stretches, balance checks
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        sensor_address TEXT NOT NULL,
        sensor_name TEXT NOT NULL,
        sensor_kind TEXT NOT NULL
    );
    CREATE TABLE calibrations (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id),
        at REAL NOT NULL,
        up_x REAL, up_y REAL, up_z REAL,
        forward_x REAL, forward_y REAL, forward_z REAL
    );
    CREATE TABLE bins (
        session_id INTEGER REFERENCES sessions(id),
        start REAL NOT NULL,
        seconds REAL NOT NULL,
        upright_s REAL NOT NULL,
        slouched_s REAL NOT NULL,
        moving_s REAL NOT NULL,
        away_s REAL NOT NULL,
        mean_flexion_deg REAL,
        mean_lateral_deg REAL
    );
    CREATE INDEX bins_start ON bins(start);
    CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id),
        start REAL NOT NULL,
        end REAL NOT NULL,
        peak_deg REAL NOT NULL,
        mean_deg REAL NOT NULL,
        alerted INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX episodes_start ON episodes(start);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id),
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        angle_deg REAL,
        delivered INTEGER NOT NULL
    );
    CREATE INDEX alerts_at ON alerts(at);
    CREATE TABLE stretches (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id),
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        completed_by TEXT NOT NULL CHECK (completed_by IN ('sensor', 'hand')),
        duration_s REAL NOT NULL,
        left_deg REAL,
        right_deg REAL,
        extension_deg REAL
    );
    CREATE INDEX stretches_at ON stretches(at);
    CREATE TABLE balance_checks (
        id INTEGER PRIMARY KEY,
        session_id INTEGER REFERENCES sessions(id),
        at REAL NOT NULL,
        left_rotation_deg REAL NOT NULL,
        right_rotation_deg REAL NOT NULL,
        lateral_rest_deg REAL NOT NULL
    );
    CREATE INDEX balance_at ON balance_checks(at);
    CREATE TABLE daily (
        day TEXT PRIMARY KEY,
        upright_s REAL NOT NULL DEFAULT 0,
        slouched_s REAL NOT NULL DEFAULT 0,
        moving_s REAL NOT NULL DEFAULT 0,
        away_s REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE hourly (
        day TEXT NOT NULL,
        hour INTEGER NOT NULL,
        upright_s REAL NOT NULL DEFAULT 0,
        slouched_s REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (day, hour)
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(Exception):
    """The history cannot be opened or written; the message says what to do."""


def default_path() -> Path:
    return data_dir() / FILE_NAME


class HistoryStore:
    """Synchronous access to one history file. Use one instance per thread."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.session_id: int | None = None
        existed = path.exists()
        if readonly and not existed:
            raise HistoryError(f"no history yet at {path}")
        if not readonly:
            ensure_private_dir(path.parent)
            if not existed:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        uri = f"file:{path}?mode={'ro' if readonly else 'rw'}"
        try:
            self.db = sqlite3.connect(uri, uri=True, timeout=5.0, isolation_level=None, check_same_thread=False)
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise HistoryError(
                f"{path} is not a readable posture history ({exc}). It was left untouched; "
                "move it away to start a new history."
            ) from exc
        if version > SCHEMA_VERSION:
            self.db.close()
            raise HistoryError(
                f"{path} was written by a newer version of posture (schema {version}, this one knows {SCHEMA_VERSION}); "
                "update posture to read it."
            )
        if not readonly:
            # Only now that the file is known to be ours may anything be written to it.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        if version < SCHEMA_VERSION:
            if readonly:
                raise HistoryError(f"{path} needs upgrading; open it once with the app")
            self._migrate(version)
        for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if sidecar.exists():
                sidecar.chmod(0o600)

    def _migrate(self, version: int) -> None:
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")
                self.db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise HistoryError(f"could not upgrade {self.path} to schema {number}: {exc}") from exc

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.db.close()

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # -- writing ----------------------------------------------------------------------

    def write(self, records: Sequence[Record]) -> None:
        """Write a batch in one transaction (all or nothing)."""
        if not records:
            return
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            for record in records:
                self._insert(record)
            db.execute("COMMIT")
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _insert(self, r: Record) -> None:
        db = self.db
        sid = self.session_id
        if isinstance(r, SessionStarted):
            cursor = db.execute(
                "INSERT INTO sessions (started_at, sensor_address, sensor_name, sensor_kind) VALUES (?, ?, ?, ?)",
                (r.at, r.sensor_address, r.sensor_name, r.sensor_kind),
            )
            self.session_id = cursor.lastrowid
        elif isinstance(r, SessionEnded):
            db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (r.at, sid))
        elif isinstance(r, Bin):
            db.execute(
                "INSERT INTO bins VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, r.start, r.seconds, r.upright_s, r.slouched_s, r.moving_s, r.away_s, r.mean_flexion_deg, r.mean_lateral_deg),
            )
            # Day and hour rollups (local time) keep reports over a year instant.
            local = datetime.fromtimestamp(r.start)
            day = local.date().isoformat()
            db.execute(
                "INSERT INTO daily VALUES (?, ?, ?, ?, ?) ON CONFLICT(day) DO UPDATE SET "
                "upright_s = upright_s + excluded.upright_s, slouched_s = slouched_s + excluded.slouched_s, "
                "moving_s = moving_s + excluded.moving_s, away_s = away_s + excluded.away_s",
                (day, r.upright_s, r.slouched_s, r.moving_s, r.away_s),
            )
            db.execute(
                "INSERT INTO hourly VALUES (?, ?, ?, ?) ON CONFLICT(day, hour) DO UPDATE SET "
                "upright_s = upright_s + excluded.upright_s, slouched_s = slouched_s + excluded.slouched_s",
                (day, local.hour, r.upright_s, r.slouched_s),
            )
        elif isinstance(r, Episode):
            db.execute(
                "INSERT INTO episodes (session_id, start, end, peak_deg, mean_deg, alerted, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sid, r.start, r.end, r.peak_deg, r.mean_deg, int(r.alerted), r.note),
            )
        elif isinstance(r, Alert):
            db.execute(
                "INSERT INTO alerts (session_id, at, kind, angle_deg, delivered) VALUES (?, ?, ?, ?, ?)",
                (sid, r.at, r.kind, r.angle_deg, int(r.delivered)),
            )
        elif isinstance(r, Calibration):
            db.execute(
                "INSERT INTO calibrations (session_id, at, up_x, up_y, up_z, forward_x, forward_y, forward_z) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, r.at, *r.up, *r.forward),
            )
        elif isinstance(r, Stretch):
            db.execute(
                "INSERT INTO stretches (session_id, at, kind, completed_by, duration_s, left_deg, right_deg, extension_deg) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, r.at, r.kind, r.completed_by, r.duration_s, r.left_deg, r.right_deg, r.extension_deg),
            )
        elif isinstance(r, BalanceCheck):
            db.execute(
                "INSERT INTO balance_checks (session_id, at, left_rotation_deg, right_rotation_deg, lateral_rest_deg) VALUES (?, ?, ?, ?, ?)",
                (sid, r.at, r.left_rotation_deg, r.right_rotation_deg, r.lateral_rest_deg),
            )
        else:
            raise TypeError(f"not a history record: {r!r}")

    def set_note(self, episode_id: int, note: str) -> None:
        self.write_raw("UPDATE episodes SET note = ? WHERE id = ?", (note.strip()[:200], episode_id))

    def write_raw(self, sql: str, params: Iterable[object]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(sql, tuple(params))
            self.db.execute("COMMIT")
        except sqlite3.Error:
            self.db.execute("ROLLBACK")
            raise

    def close_stale_sessions(self, now: float, stale_s: float) -> int:
        """End the sessions a crash left open: each ends at the last thing stored
        for it. A session that stored something within ``stale_s`` of ``now`` may
        still be running elsewhere and is left alone. Returns how many were closed."""
        last = (
            "MAX(s.started_at,"
            " COALESCE((SELECT MAX(start + seconds) FROM bins WHERE session_id = s.id), 0),"
            " COALESCE((SELECT MAX(end) FROM episodes WHERE session_id = s.id), 0),"
            " COALESCE((SELECT MAX(at) FROM alerts WHERE session_id = s.id), 0),"
            " COALESCE((SELECT MAX(at + duration_s) FROM stretches WHERE session_id = s.id), 0))"
        )
        rows = self.db.execute(f"SELECT s.id, {last} FROM sessions s WHERE s.ended_at IS NULL").fetchall()
        stale = [(ended, sid) for sid, ended in rows if ended < now - stale_s]
        if stale:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("UPDATE sessions SET ended_at = ? WHERE id = ?", stale)
                self.db.execute("COMMIT")
            except sqlite3.Error:
                self.db.execute("ROLLBACK")
                raise
        return len(stale)

    # -- reading ----------------------------------------------------------------------

    def bins(self, start: float, end: float) -> list[Bin]:
        rows = self.db.execute(
            "SELECT start, seconds, upright_s, slouched_s, moving_s, away_s, mean_flexion_deg, mean_lateral_deg "
            "FROM bins WHERE start >= ? AND start < ? ORDER BY start",
            (start, end),
        )
        return [Bin(*row) for row in rows]

    def episodes(self, start: float, end: float) -> list[tuple[int, Episode]]:
        rows = self.db.execute(
            "SELECT id, start, end, peak_deg, mean_deg, alerted, note FROM episodes WHERE start >= ? AND start < ? ORDER BY start",
            (start, end),
        )
        return [(row[0], Episode(row[1], row[2], row[3], row[4], bool(row[5]), row[6])) for row in rows]

    def alerts(self, start: float, end: float) -> list[Alert]:
        rows = self.db.execute(
            "SELECT at, kind, angle_deg, delivered FROM alerts WHERE at >= ? AND at < ? ORDER BY at", (start, end)
        )
        return [Alert(row[0], row[1], row[2], bool(row[3])) for row in rows]

    def stretches(self, start: float, end: float) -> list[Stretch]:
        rows = self.db.execute(
            "SELECT at, kind, completed_by, duration_s, left_deg, right_deg, extension_deg FROM stretches "
            "WHERE at >= ? AND at < ? ORDER BY at",
            (start, end),
        )
        return [Stretch(*row) for row in rows]

    def balance_checks(self, start: float, end: float) -> list[BalanceCheck]:
        rows = self.db.execute(
            "SELECT at, left_rotation_deg, right_rotation_deg, lateral_rest_deg FROM balance_checks "
            "WHERE at >= ? AND at < ? ORDER BY at",
            (start, end),
        )
        return [BalanceCheck(*row) for row in rows]
