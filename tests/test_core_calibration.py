"""Calibrations live in the history store, with the sensor they belong to and their
time; a ``calibration.json`` from an earlier version is imported once."""

from __future__ import annotations

import json
import sqlite3

from companion.body_frames import MIGRATED_SUFFIX, legacy_file, load_frame, migrate_legacy_file, save_frame
from companion.engine import BodyFrame
from companion.history.records import Calibration, SessionStarted
from companion.history.store import HistoryStore, default_path

TILTED = {"up": [0.0, 0.6, 0.8], "forward": [1.0, 0.0, 0.0]}
FLAT = {"up": [0.0, 0.0, 1.0], "forward": [1.0, 0.0, 0.0]}


def write_legacy(data) -> None:
    path = legacy_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_a_session_calibration_is_stored_with_its_sensor_and_time(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    frame = BodyFrame.from_dict(TILTED)
    store.write(
        [SessionStarted(1000.0, "AA:BB", "Posture1", "reference"), Calibration(1010.0, frame.up, frame.forward)]
    )
    store.write(
        [SessionStarted(2000.0, "CC:DD", "Other", "reference"), Calibration(2010.0, (0.0, 0.0, 1.0), (1.0, 0.0, 0.0))]
    )
    row = store.db.execute("SELECT sensor_address, at FROM calibrations ORDER BY at").fetchall()
    store.close()
    assert row == [("AA:BB", 1010.0), ("CC:DD", 2010.0)]
    assert load_frame("AA:BB", path) == frame
    assert load_frame("aa:bb", path) == frame  # addresses compare without case
    assert load_frame("EE:FF", path) is None


def test_the_latest_calibration_of_a_sensor_wins(tmp_path):
    path = tmp_path / "history.sqlite3"
    save_frame("AA:BB", BodyFrame.from_dict(FLAT), 100.0, path)
    save_frame("AA:BB", BodyFrame.from_dict(TILTED), 200.0, path)
    save_frame("AA:BB", BodyFrame.from_dict(FLAT), 150.0, path)
    assert load_frame("AA:BB", path) == BodyFrame.from_dict(TILTED)


def test_no_history_means_no_calibration_and_creates_nothing(tmp_path):
    path = tmp_path / "history.sqlite3"
    assert load_frame("AA:BB", path) is None
    assert not path.exists()


def test_calibration_json_is_imported_once_and_kept_aside():
    write_legacy({"AA:BB": TILTED, "cc:dd": FLAT})
    assert load_frame("AA:BB") == BodyFrame.from_dict(TILTED)
    assert not legacy_file().exists()
    kept = legacy_file().with_name(legacy_file().name + MIGRATED_SUFFIX)
    assert json.loads(kept.read_text())["AA:BB"] == TILTED  # nothing lost
    assert load_frame("CC:DD") == BodyFrame.from_dict(FLAT)
    # A second start imports nothing again, even if the old file came back.
    write_legacy({"AA:BB": FLAT})
    assert migrate_legacy_file() == 0
    db = sqlite3.connect(default_path())
    count = db.execute("SELECT COUNT(*) FROM calibrations WHERE sensor_address = 'AA:BB'").fetchone()[0]
    db.close()
    assert count == 1
    assert load_frame("AA:BB") == BodyFrame.from_dict(TILTED)


def test_a_calibration_already_in_the_history_is_not_overwritten_by_the_file():
    save_frame("AA:BB", BodyFrame.from_dict(FLAT), 5000.0)
    write_legacy({"AA:BB": TILTED})
    assert migrate_legacy_file() == 0
    assert load_frame("AA:BB") == BodyFrame.from_dict(FLAT)


def test_an_unusable_calibration_file_is_set_aside_without_an_error():
    legacy_file().parent.mkdir(parents=True, exist_ok=True)
    legacy_file().write_text("{not json")
    assert load_frame("AA:BB") is None
    assert not legacy_file().exists()
    assert legacy_file().with_name(legacy_file().name + MIGRATED_SUFFIX).read_text() == "{not json"


def test_the_file_is_only_imported_into_the_persons_own_history(tmp_path):
    write_legacy({"AA:BB": TILTED})
    assert load_frame("AA:BB", tmp_path / "demo.sqlite3") is None
    assert legacy_file().exists()


def test_a_schema_1_history_gets_the_sensor_of_each_calibration_on_upgrade(tmp_path):
    from companion.history.store import APPLICATION_ID, MIGRATIONS

    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO sessions (id, started_at, sensor_address, sensor_name, sensor_kind) VALUES (1, 10, 'AA:BB', 'P', 'reference')"
    )
    db.execute(
        "INSERT INTO calibrations (session_id, at, up_x, up_y, up_z, forward_x, forward_y, forward_z) VALUES (1, 20, 0, 0.6, 0.8, 1, 0, 0)"
    )
    db.commit()
    db.close()
    assert load_frame("AA:BB", path) == BodyFrame.from_dict(TILTED)
