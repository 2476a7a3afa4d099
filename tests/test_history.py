"""The history store: durability, migrations, bad files, reports, exports, the screen."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.evaluation import wearer_readings
from companion.cli import main
from companion.engine import SlouchEnded
from companion.history import SCHEMA_VERSION, HistoryError, HistoryStore
from companion.history.export import collect, read_export, to_csv, to_json
from companion.history.records import Bin, SessionStarted
from companion.history.report import build_report
from companion.history.synthetic import synthetic_days
from companion.history.writer import HistoryWriter
from companion.live import LiveSession
from companion.settings import Settings
from companion.sim.wearer import Script, SimulatedWearer

TODAY = date(2026, 11, 20)  # a Friday


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def posture(*args: str) -> subprocess.CompletedProcess[str]:
    """``posture ARGS`` through the entry point, in this process."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
    return subprocess.CompletedProcess(["posture", *args], code, stdout.getvalue(), stderr.getvalue())


def filled(db_path: Path, days: int = 10) -> HistoryStore:
    store = HistoryStore(db_path)
    store.write(list(synthetic_days(TODAY, days)))
    return store


def test_new_store_is_private_wal_and_current(db_path):
    store = HistoryStore(db_path)
    store.write([SessionStarted(1.0, "A", "n", "reference")])
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for path in db_path.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def _earlier_schema(path: Path, version: int) -> Path:
    """A history file at schema ``version``, built with the migrations of that time."""
    from companion.history.store import MIGRATIONS

    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    return path


def test_migrates_from_every_earlier_version(db_path):
    for version in range(SCHEMA_VERSION):
        path = _earlier_schema(db_path.with_name(f"v{version}.sqlite3"), version)
        store = HistoryStore(path)
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_ok()
        store.write(list(synthetic_days(TODAY, 1)))
        assert store.bins(0, 1e12)


def test_two_openers_upgrading_the_same_file_both_succeed(db_path, monkeypatch):
    """The app's writer thread and a read on the app's thread may both find an
    earlier schema: the second to take the write lock finds the upgrade done."""
    from companion.history import store as store_module

    _earlier_schema(db_path, 1)
    seen = store_module.inspect(db_path)
    assert seen == 1
    HistoryStore(db_path).close()  # the first opener upgrades it
    # The second had read the version before that upgrade.
    monkeypatch.setattr(store_module, "inspect", lambda path, check=True: seen)
    second = HistoryStore(db_path)
    assert second.schema_version == SCHEMA_VERSION
    second.close()


def test_an_earlier_schema_is_upgraded_for_reading_not_read_as_empty(db_path):
    from companion.history import open_to_read

    _earlier_schema(db_path, 1)
    db = sqlite3.connect(db_path)
    db.execute("INSERT INTO sessions (started_at, sensor_address, sensor_name, sensor_kind) VALUES (1, 'A', 'n', 'r')")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match="needs upgrading"):
        HistoryStore(db_path, readonly=True)
    store = open_to_read(db_path, check=False)
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("SELECT COUNT(*) FROM sessions").fetchone() == (1,)
    store.close()


def test_todays_numbers_come_from_an_earlier_schema_on_the_first_start_after_an_upgrade(db_path):
    """The app reads today's numbers before its writer has opened (and upgraded) the
    file: read as they are, not as an empty day."""
    from companion.history.today import today_from_history

    _earlier_schema(db_path, 1)
    noon = datetime.combine(TODAY, datetime.min.time()).timestamp() + 12 * 3600
    db = sqlite3.connect(db_path)
    db.execute("INSERT INTO sessions VALUES (1, ?, NULL, 'A', 'n', 'reference')", (noon,))
    db.execute("INSERT INTO bins VALUES (1, ?, 60, 40, 20, 0, 0, 10, 0)", (noon,))
    db.execute(
        "INSERT INTO episodes (session_id, start, end, peak_deg, mean_deg, alerted) VALUES (1, ?, ?, 25, 22, 1)",
        (noon, noon + 40),
    )
    db.commit()
    db.close()
    tally = today_from_history(db_path, TODAY)
    assert (tally.tracked_s, tally.episodes) == (60.0, 1)


def test_newer_schema_is_refused_and_left_alone(db_path):
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(HistoryError, match="newer version"):
        HistoryStore(db_path)
    assert db_path.read_bytes() == before


def test_corrupt_file_is_reported_and_never_overwritten(db_path, monkeypatch):
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database" * 200
    db_path.write_bytes(garbage)
    with pytest.raises(HistoryError, match="not a readable posture history"):
        HistoryStore(db_path)
    messages: list[str] = []
    writer = HistoryWriter(db_path, on_error=messages.append).start()
    writer.put(SessionStarted(1.0, "A", "n", "reference"))
    writer.flush()
    writer.close()
    assert messages and "left untouched" in messages[0]
    assert db_path.read_bytes() == garbage
    monkeypatch.setenv("POSTURE_HOME", str(db_path.parent.parent))
    result = posture("report")
    assert result.returncode == 1 and "not a readable posture history" in result.stderr
    assert "Traceback" not in result.stderr


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from companion.history.writer import HistoryWriter
    from companion.history.records import Bin, SessionStarted
    writer = HistoryWriter(Path(sys.argv[1])).start()
    writer.put(SessionStarted(time.time(), "A", "n", "reference"))
    t = time.time()
    while True:
        writer.put(Bin(t, 0.25, 0.25, 0.0, 0.0, 0.0, 3.0, 0.0))
        print(t + 0.25, flush=True)
        t += 0.25
        time.sleep(max(0.0, t - time.time()))
    """
)


def test_kill_minus_9_loses_at_most_the_last_seconds(db_path, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    process = subprocess.Popen([sys.executable, str(script), str(db_path)], stdout=subprocess.PIPE, text=True)
    # Killed once it has handed over 3 s of bins (about 3 commits), however slowly it started.
    handed = [float(process.stdout.readline()) for _ in range(12)]
    process.send_signal(signal.SIGKILL)
    handed += [float(line) for line in process.communicate()[0].split()]
    assert len(handed) > 8
    store = HistoryStore(db_path)
    assert store.integrity_ok()
    bins = store.bins(0, 1e12)
    last_end = bins[-1].start + bins[-1].seconds
    assert handed[-1] - last_end <= 10.0
    assert handed[-1] - last_end <= 2.0  # in practice: about the one-second commit interval
    starts = [b.start for b in bins]
    assert starts == sorted(starts) and len(starts) == len(set(starts))


def test_full_disk_is_reported_and_writing_resumes(db_path, monkeypatch):
    failures = {"left": 2}
    original = HistoryStore.write

    def flaky_write(self, records):
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return original(self, records)

    monkeypatch.setattr(HistoryStore, "write", flaky_write)
    monkeypatch.setattr("companion.history.writer.RETRY_S", 0.05)
    messages: list[str] = []
    writer = HistoryWriter(db_path, commit_every_s=0.05, on_error=messages.append).start()
    for k in range(20):
        writer.put(Bin(1000.0 + 5 * k, 5.0, 5.0, 0.0, 0.0, 0.0, 1.0, 0.0))
        time.sleep(0.02)
    deadline = time.time() + 5
    while writer.written < 20 and time.time() < deadline:
        writer.flush(0.5)
        time.sleep(0.05)
    writer.close()
    assert messages and "disk is full" in messages[0]
    assert writer.written == 20
    assert len(HistoryStore(db_path).bins(0, 1e12)) == 20


def test_export_round_trip(db_path, tmp_path):
    store = filled(db_path, 5)
    store.set_note(store.episodes(0, 1e12)[0][0], 'after lunch, "tired"')
    data = collect(store, 0.0, today=TODAY)
    assert data["episodes"] and data["bins"] and data["stretches"] and data["alerts"] and data["days"]
    path = tmp_path / "export.json"
    path.write_text(to_json(data))
    assert read_export(path) == data


def test_the_json_export_is_one_record_a_line(db_path):
    """A year is 1.5 M bins: each record is one line (greppable, and written by the
    json module's C encoder), not one line per field."""
    store = filled(db_path, 2)
    data = collect(store, 0.0, today=TODAY)
    lines = to_json(data).splitlines()
    records = sum(len(rows) for rows in data.values())
    tables = len(data)
    filled_tables = sum(1 for rows in data.values() if rows)
    # Braces, format and version, and a table's name line (and closing line when it has rows).
    assert len(lines) == records + 4 + tables + filled_tables
    first_bin = next(line for line in lines if '"upright_s"' in line)
    assert json.loads(first_bin.strip().rstrip(",")) == asdict(data["bins"][0])


def test_csv_export_is_one_table_a_spreadsheet_can_use(db_path):
    import csv as csv_module
    import io

    store = filled(db_path, 5)
    store.set_note(store.episodes(0, 1e12)[0][0], 'after lunch, "tired"')
    data = collect(store, 0.0, today=TODAY)
    rows = list(csv_module.DictReader(io.StringIO(to_csv(data, "episodes"))))
    assert len(rows) == len(data["episodes"]) and rows[0]["note"] == 'after lunch, "tired"'
    first = data["episodes"][0]
    start = datetime.fromisoformat(rows[0]["start"])
    assert start.utcoffset() is not None and abs(start.timestamp() - first.start) < 1.0
    assert rows[0]["peak_deg"] == f"{first.peak_deg:.1f}" and rows[0]["alerted"] in ("yes", "no")
    bins = list(csv_module.DictReader(io.StringIO(to_csv(data, "bins"))))
    assert all(len(row["upright_s"].split(".")[-1]) == 1 for row in bins)
    days = list(csv_module.DictReader(io.StringIO(to_csv(data, "days"))))
    assert [row["day"] for row in days] == [d.day for d in data["days"]]


def test_report_per_day_and_when_you_slouch_most(db_path):
    store = filled(db_path, 7)
    report = build_report(store, 7, TODAY)
    assert [d.day for d in report.days] == [(TODAY - timedelta(days=6 - k)).isoformat() for k in range(7)]
    weekend = [d for d in report.days if date.fromisoformat(d.day).weekday() >= 5]
    assert all(d.tracked_s == 0 and d.upright_share is None for d in weekend)
    worked = [d for d in report.days if d.tracked_s]
    assert all(0.5 < d.upright_share < 1 and d.episodes > 0 and d.longest_slouch_s > 0 for d in worked)
    assert report.worst_hour is not None and 9 <= report.worst_hour <= 16
    assert "You slouch most between" in report.summary()
    assert json.loads(json.dumps(report.as_json()))["slouch_most"]["hour"] == report.worst_hour


def test_the_reports_worn_column_shows_a_short_day_in_minutes():
    from companion.commands.history import worn_text

    assert [worn_text(s) for s in (0, 20, 106, 3599, 3600, 5 * 3600 + 1800)] == [
        "0 min",
        "<1 min",
        "2 min",
        "60 min",
        "1.0 h",
        "5.5 h",
    ]


def test_cli_report_and_export(tmp_path, monkeypatch):
    home = tmp_path / "home"
    store = HistoryStore(home / "data" / "history.sqlite3")
    store.write(list(synthetic_days(date.today(), 3)))
    store.close()
    monkeypatch.setenv("POSTURE_HOME", str(home))
    report = posture("report", "--days", "3", "--json")
    assert report.returncode == 0, report.stderr
    assert len(json.loads(report.stdout)["days"]) == 3
    out = tmp_path / "e.csv"
    export = posture("export", "--table", "episodes", "-o", str(out))
    assert export.returncode == 0, export.stderr
    assert out.read_text().startswith("start,end,duration_s,")
    bad = posture("export", "--since", "last week")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_live_session_records_what_the_engine_saw(db_path):
    wearer = SimulatedWearer(Script().calibration().sit(20).slump(20, 10, 60).sit(30), seed=4)
    wall0 = datetime(2026, 11, 20, 10, 0, 0)
    now = {"t": 0.0}
    session = LiveSession(Settings(), clock=lambda: wall0 + timedelta(seconds=now["t"]))
    session.engine.start_calibration()
    writer = HistoryWriter(db_path).start()
    writer.put(session.start_record("F0:00:00:00:00:01", "Posture1", "reference"))
    ended: list[SlouchEnded] = []
    for chunk in wearer_readings(wearer):
        for i in range(0, len(chunk), 10):
            now["t"] = chunk[i].t_s
            update = session.feed(chunk[i : i + 10])
            ended += [e for e in update.events if isinstance(e, SlouchEnded)]
            for record in update.records:
                writer.put(record)
    for record in session.end_records():
        writer.put(record)
    writer.close()
    store = HistoryStore(db_path)
    [(_, episode)] = store.episodes(0, 1e12)
    [engine_episode] = ended
    assert episode.start == pytest.approx(wall0.timestamp() + engine_episode.start_s, abs=0.05)
    assert episode.alerted and episode.peak_deg == pytest.approx(engine_episode.peak_deg)
    bins = store.bins(0, 1e12)
    covered = sum(b.seconds for b in bins)
    assert covered == pytest.approx(wearer.duration_s, abs=6)
    slouched = sum(b.slouched_s for b in bins)
    assert slouched == pytest.approx(engine_episode.end_s - engine_episode.start_s, abs=6)
    assert [a.kind for a in store.alerts(0, 1e12)] == ["slouch"]


def test_history_screen_shows_a_day_and_takes_a_note(tmp_path, virtual_time):
    from companion.ui.app import make_app
    from companion.ui.history_screen import HistoryScreen

    async def until(pilot, predicate, attempts: int = 20) -> None:
        # The screen loads each day in a thread: wait for the loader, not for a clock.
        for _ in range(attempts):
            if predicate():
                return
            loading = [w for w in pilot.app.workers if w.group == "history"]
            if loading:  # (an empty list would mean every worker, the link's too)
                await pilot.app.workers.wait_for_complete(loading)
            await pilot.pause()
        raise AssertionError(f"still false after {attempts} loads")

    home_db = tmp_path / "data" / "history.sqlite3"
    store = filled(home_db, 3)
    store.close()
    app = make_app(demo=True, settings=Settings(), history_path=home_db, calibrate_on_start=False)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = HistoryScreen(home_db, TODAY)
            app.push_screen(screen)
            await until(pilot, lambda: screen.view is not None)
            assert screen.view.episodes and screen.view.minutes
            assert "Upright share" in str(screen.query_one("#shares").render())
            await pilot.press("left")
            await until(pilot, lambda: screen.view.day == TODAY - timedelta(days=1))
            await pilot.press("right")
            await until(pilot, lambda: screen.view.day == TODAY)
            screen.day = date.today()  # on today, the next day is refused: nothing is recorded tomorrow
            await pilot.press("right")
            await pilot.pause()
            assert screen.day == date.today()
            screen.day = TODAY
            side = screen.query_one("#history-side")
            await pilot.press("end")  # the side column's lower parts, below the fold at this size
            await pilot.pause()
            assert side.max_scroll_y > 0 and side.scroll_y == side.max_scroll_y
            await pilot.press("home")
            await pilot.pause()
            assert side.scroll_y == 0
            await pilot.press("a")
            await pilot.pause()
            await pilot.press(*"tired")
            await pilot.press("enter")
            await until(pilot, lambda: screen.view.episodes[0][1].note == "tired")

    virtual_time(scenario())
