"""The history database: one SQLite file, WAL mode, owner-only, versioned schema.

A file that is not a readable posture history is reported and never touched; a
newer schema than this version knows is refused rather than downgraded.
"""

from __future__ import annotations

import errno
import itertools
import os
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import cast

from .. import errors
from ..paths import create_private_file, data_dir, private_dir
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
    # 2: each calibration names the sensor it belongs to (the body frame the app and
    # the tracker start from when that sensor connects again)
    """
    ALTER TABLE calibrations ADD COLUMN sensor_address TEXT;
    UPDATE calibrations SET sensor_address =
        (SELECT sensor_address FROM sessions WHERE sessions.id = calibrations.session_id);
    CREATE INDEX calibrations_sensor ON calibrations(sensor_address, at);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


APPLICATION_ID = 0x506F7374  # "Post" in PRAGMA application_id: this file is a posture history
OUR_TABLES = frozenset(
    {"sessions", "calibrations", "bins", "episodes", "alerts", "stretches", "balance_checks", "daily", "hourly"}
)
SQLITE_HEADER = b"SQLite format 3\x00"
#: A session that has stored nothing for this long is no longer running anywhere.
STALE_SESSION_S = 300.0


class HistoryError(errors.HistoryUnavailable):
    """The history cannot be opened or written; the message says what to do."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class HistoryUnavailable(HistoryError):
    """The store cannot be created or reached (permissions, full disk); worth retrying."""


class HistoryReadOnly(HistoryError):
    """The file or its folder cannot be written (read-only file system or permissions)."""


class HistoryForeign(HistoryError):
    """The file at the history path is not a posture history; it is never touched."""


class HistoryCorrupt(HistoryError):
    """A posture history that fails SQLite's integrity check; never written into."""


class HistoryOutdated(HistoryError):
    """A history of an earlier schema, opened read-only: it is upgraded by opening it
    for writing (``open_to_read``)."""


def default_path() -> Path:
    return data_dir() / FILE_NAME


def sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def set_aside(path: Path, now: datetime | None = None) -> Path:
    """Move a damaged history (and its WAL) out of the way, keeping every byte; the
    next start creates a new store. Returns where the file went."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for number in range(1, 1000):
        if not target.exists():
            break
        target = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    for sidecar, moved in zip(sidecars(path), sidecars(target)):
        if sidecar.exists():
            os.replace(sidecar, moved)
    os.replace(path, target)
    return target


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


#: SQLite checks one table (and its indexes) from this version on.
_TABLE_CHECKS = sqlite3.sqlite_version_info >= (3, 33, 0)


def _quick_checks(tables: Collection[str] | None, present: Collection[str]) -> list[str]:
    """The ``quick_check`` statements for the whole file (None) or for those of
    ``tables`` the file has (an older schema may lack some)."""
    if tables is not None and not set(tables) <= OUR_TABLES:
        raise ValueError(f"not tables of the history: {', '.join(sorted(set(tables) - OUR_TABLES))}")
    if tables is None or not _TABLE_CHECKS:
        return ["PRAGMA quick_check(5)"]
    return [f"PRAGMA quick_check({table})" for table in sorted(set(tables) & set(present))]


def inspect(path: Path, *, check: bool | Collection[str] = True) -> int:
    """Check that ``path`` holds a posture history SQLite can read in full; return its
    schema version (0 for an empty file, to be created).

    ``check``: SQLite's ``quick_check`` of the whole file (True), of only the tables
    named (their pages and indexes: what a read-only command reads), or none.
    Reads only (a read-only connection never checkpoints a WAL into the file) and
    raises HistoryForeign, HistoryCorrupt or HistoryReadOnly with the path named.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except PermissionError as exc:
        raise HistoryReadOnly(f"{path} cannot be read ({_why(exc)}); check its permissions.", path) from exc
    except OSError as exc:
        raise HistoryUnavailable(f"{path} cannot be read ({_why(exc)}).", path) from exc
    wal = sidecars(path)[0]
    if not header and not (wal.exists() and wal.stat().st_size):
        return 0  # an empty file: a store about to be created
    if header and header != SQLITE_HEADER:
        raise HistoryForeign(
            f"{path} is not a readable posture history (it is not an SQLite database). "
            "It was left untouched; `posture check-history --set-aside` moves it aside (nothing is deleted), "
            "or set POSTURE_HOME to use another folder.",
            path,
        )
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise HistoryUnavailable(f"{path} cannot be opened ({exc}).", path) from exc
    try:
        try:
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise HistoryUnavailable(f"{path} is locked by another program ({exc}).", path) from exc
            if "unable to open" in str(exc) or "readonly" in str(exc):
                raise HistoryReadOnly(f"{path} cannot be read on this file system ({exc}).", path) from exc
            raise damaged(path, str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise damaged(path, str(exc)) from exc
        ours = application_id == APPLICATION_ID or (
            application_id == 0 and tables <= OUR_TABLES and (version == 0) == (not tables)
        )
        if application_id == 0 and not tables and version > 0:
            ours = True  # only a schema version: judged by that version below
        if not ours:
            other = ", ".join(sorted(tables - OUR_TABLES)[:5]) or "none of the posture tables"
            raise HistoryForeign(
                f"{path} is not a posture history (another program's SQLite database: {other}). "
                "It was left untouched; `posture check-history --set-aside` moves it aside (nothing is deleted), "
                "or set POSTURE_HOME to use another folder.",
                path,
            )
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{path} was written by a newer version of posture (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); update posture to read it.",
                path,
            )
        statements = [] if check is False else _quick_checks(None if check is True else check, tables)
        for statement in statements:
            try:
                problems = [row[0] for row in db.execute(statement)]
            except sqlite3.DatabaseError as exc:
                raise damaged(path, str(exc)) from exc
            if problems != ["ok"]:
                raise damaged(path, problems[0])
        return version
    finally:
        db.close()


def damaged(path: Path, detail: str) -> HistoryCorrupt:
    """The error for a damaged history, naming the file and what to do."""
    return HistoryCorrupt(
        f"{path} is damaged and not a readable posture history ({detail}). Nothing is written into it; "
        "run `posture check-history --set-aside` to keep it aside and start a new history.",
        path,
    )


def open_to_read(path: Path, *, check: bool | Collection[str] = True) -> HistoryStore:
    """The history read-only (``check`` as for ``HistoryStore``); one of an earlier
    schema is upgraded first, opened for writing and checked in full, so it is read
    as it is rather than as having nothing. Raises HistoryError as the store does."""
    try:
        return HistoryStore(path, readonly=True, check=check)
    except HistoryOutdated:
        HistoryStore(path).close()
        return HistoryStore(path, readonly=True, check=False)  # checked in full just now


class HistoryStore:
    """Synchronous access to one history file. Use one instance per thread.

    Opening checks the file before anything is written: our application id (or,
    for stores made before it was set, only our tables), a schema this version
    knows, and SQLite's ``quick_check``. A foreign, damaged or read-only file is
    reported with its own error class and left exactly as it was.
    """

    def __init__(self, path: Path, *, readonly: bool = False, check: bool | Collection[str] = True) -> None:
        """Read-only stores may check less than the whole file (``inspect``): only the
        tables a command reads (a year's bins take half a second to check, and what
        is shown from the day rollups does not read them), or nothing, for a viewer
        reopening a file the writer has already checked, where a damaged page still
        surfaces as ``sqlite3.DatabaseError`` on reading."""
        if check is not True and not readonly:
            raise ValueError("a store opened for writing is always checked in full")
        self.path = path
        self.session_id: int | None = None
        existed = path.exists()
        if readonly and not existed:
            raise HistoryError(f"no history yet at {path}", path)
        if not readonly:
            self._create(path, existed)
        version = inspect(path, check=check)
        if not readonly:
            folder_ok = os.access(path.parent, os.W_OK | os.X_OK)
            if not folder_ok or not os.access(path, os.W_OK):
                where = path if folder_ok else path.parent
                raise HistoryReadOnly(
                    f"{where} is read-only: the history can be viewed but nothing new can be saved. "
                    "Check the permissions, or that the disk is not mounted read-only.",
                    path,
                )
            self._create_sidecars(path)
        uri = f"file:{path}?mode={'ro' if readonly else 'rw'}"
        try:
            self.db = sqlite3.connect(uri, uri=True, timeout=5.0, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA user_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise HistoryUnavailable(f"{path} cannot be opened ({exc}).", path) from exc
        if not readonly:
            # Only now that the file is known to be ours and sound may anything be written.
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                if self.db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                    self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            except sqlite3.OperationalError as exc:
                self.db.close()
                raise HistoryUnavailable(f"{path} cannot be written ({exc}).", path) from exc
        if version < SCHEMA_VERSION:
            if readonly:
                self.db.close()
                if version == 0:
                    raise HistoryError(f"no history yet at {path}", path)
                raise HistoryOutdated(f"{path} needs upgrading; open it once with the app", path)
            self._migrate(version)

    @staticmethod
    def _create_sidecars(path: Path) -> None:
        """The WAL and its index, created 0600 before SQLite opens them (SQLite
        would create them with the umask's mode)."""
        for sidecar in sidecars(path):
            try:
                create_private_file(sidecar, exclusive=True, binary=True).close()
            except FileExistsError:
                pass
            except OSError as exc:
                raise HistoryUnavailable(f"{sidecar} cannot be created ({_why(exc)}).", path) from exc

    @staticmethod
    def _create(path: Path, existed: bool) -> None:
        try:
            private_dir(path.parent)
            if not existed:
                create_private_file(path, exclusive=True, binary=True).close()
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise HistoryReadOnly(
                    f"{path} cannot be created ({_why(exc)}): the history is not being saved. "
                    "Check the permissions of the folder, or set POSTURE_HOME to a writable one.",
                    path,
                ) from exc
            raise HistoryUnavailable(
                f"{path} cannot be created ({_why(exc)}): the history is not being saved.", path
            ) from exc

    def _migrate(self, version: int) -> None:
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                if self.schema_version >= number:
                    # Another opener (the writer's thread, another process) upgraded
                    # it since this one read the version: that step is done.
                    self.db.execute("COMMIT")
                    continue
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
            # Runs of bins (most of any batch) go in three executemany calls (the bins,
            # then their day rollups, then their hour rollups), without a round trip a
            # statement: each table gets the same rows, added in record order.
            for is_bin, run in itertools.groupby(records, key=lambda r: isinstance(r, Bin)):
                if is_bin:
                    self._insert_bins(cast(list[Bin], list(run)))
                else:
                    for record in run:
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
            self._insert_bins([r])
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
                "INSERT INTO calibrations (session_id, sensor_address, at, up_x, up_y, up_z, forward_x, forward_y, forward_z) "
                "VALUES (?, (SELECT sensor_address FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?, ?)",
                (sid, sid, r.at, *r.up, *r.forward),
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

    def _insert_bins(self, bins: list[Bin]) -> None:
        db, sid = self.db, self.session_id
        db.executemany(
            "INSERT INTO bins VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    r.start,
                    r.seconds,
                    r.upright_s,
                    r.slouched_s,
                    r.moving_s,
                    r.away_s,
                    r.mean_flexion_deg,
                    r.mean_lateral_deg,
                )
                for r in bins
            ],
        )
        # Day and hour rollups (local time) keep reports over a year instant.
        locals_ = [datetime.fromtimestamp(r.start) for r in bins]
        days = [local.date().isoformat() for local in locals_]
        db.executemany(
            "INSERT INTO daily VALUES (?, ?, ?, ?, ?) ON CONFLICT(day) DO UPDATE SET "
            "upright_s = upright_s + excluded.upright_s, slouched_s = slouched_s + excluded.slouched_s, "
            "moving_s = moving_s + excluded.moving_s, away_s = away_s + excluded.away_s",
            [(day, r.upright_s, r.slouched_s, r.moving_s, r.away_s) for day, r in zip(days, bins)],
        )
        db.executemany(
            "INSERT INTO hourly VALUES (?, ?, ?, ?) ON CONFLICT(day, hour) DO UPDATE SET "
            "upright_s = upright_s + excluded.upright_s, slouched_s = slouched_s + excluded.slouched_s",
            [(day, local.hour, r.upright_s, r.slouched_s) for day, local, r in zip(days, locals_, bins)],
        )

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

    def close_stale_sessions(self, now: float, stale_s: float = STALE_SESSION_S) -> int:
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

    def add_calibration(self, sensor_address: str, calibration: Calibration) -> None:
        """A body frame calibrated outside a session (an imported calibration file)."""
        self.db.execute(
            "INSERT INTO calibrations (session_id, sensor_address, at, up_x, up_y, up_z, forward_x, forward_y, forward_z) "
            "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sensor_address, calibration.at, *calibration.up, *calibration.forward),
        )

    def latest_calibration(self, sensor_address: str) -> Calibration | None:
        """The last body frame calibrated for this sensor, if any."""
        row = self.db.execute(
            "SELECT at, up_x, up_y, up_z, forward_x, forward_y, forward_z FROM calibrations "
            "WHERE sensor_address = ? COLLATE NOCASE ORDER BY at DESC, id DESC LIMIT 1",
            (sensor_address,),
        ).fetchone()
        if row is None:
            return None
        return Calibration(row[0], (row[1], row[2], row[3]), (row[4], row[5], row[6]))

    def calibrated_sensors(self) -> set[str]:
        rows = self.db.execute("SELECT DISTINCT sensor_address FROM calibrations WHERE sensor_address IS NOT NULL")
        return {row[0].upper() for row in rows}

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
