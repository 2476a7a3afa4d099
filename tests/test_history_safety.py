"""Lose nothing, overwrite nothing, explain every failure: the history store, its
writer, exports and the owner-only files."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from companion import cli
from companion.history import HistoryCorrupt, HistoryForeign, HistoryReadOnly, HistoryStore
from companion.history import store as store_module
from companion.history import writer as writer_module
from companion.history.records import Bin, SessionStarted
from companion.history.store import SCHEMA_VERSION, set_aside
from companion.history.synthetic import synthetic_days
from companion.history.writer import HistoryWriter
from companion.paths import create_private_file, private_dir, write_private_atomically

pytestmark = pytest.mark.start_early  # see tests/conftest.py

TODAY = date(2026, 11, 20)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POSTURE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def db_path(home) -> Path:
    return home / "data" / "history.sqlite3"


def a_bin(k: int) -> Bin:
    return Bin(1_700_000_000.0 + 5 * k, 5.0, 5.0, 0.0, 0.0, 0.0, 2.0, 0.0)


def wait_for(predicate, timeout_s: float = 2.0) -> bool:
    """Poll a condition the writer thread makes true (bounded: the 2-s promise)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# -- 1: the writer never dies silently ----------------------------------------------


def test_unwritable_home_is_reported_within_two_seconds_and_kept_in_memory(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the home should be")
    messages: list[str] = []
    started = time.monotonic()
    writer = HistoryWriter(blocker / "data" / "history.sqlite3", on_error=messages.append).start()
    assert time.monotonic() - started < 1.5
    for k in range(10):
        writer.put(a_bin(k))
    assert wait_for(lambda: messages)
    assert "cannot be created" in messages[0] and "Tracking goes on" in messages[0]
    assert writer.flush(2.0)
    assert writer.kept == 10 and writer.written == 0 and writer.error
    writer.close()


def test_full_disk_at_first_start_keeps_the_session_and_writes_it_when_space_returns(db_path, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_S", 0.05)
    real = store_module.create_private_file
    full = {"on": True}

    def no_space(path, **kwargs):
        if full["on"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(store_module, "create_private_file", no_space)
    messages: list[str] = []
    writer = HistoryWriter(db_path, commit_every_s=0.05, on_error=messages.append).start()
    writer.put(SessionStarted(1_700_000_000.0, "A", "n", "reference"))
    for k in range(5):
        writer.put(a_bin(k))
    assert wait_for(lambda: messages)
    assert "No space left on device" in messages[0]
    full["on"] = False
    assert wait_for(lambda: writer.written == 6, 3.0)
    writer.close()
    assert messages[-1] == ""  # the all-clear
    assert len(HistoryStore(db_path).bins(0, 1e12)) == 5


def test_startup_never_waits_on_a_slow_store(db_path, monkeypatch):
    release = threading.Event()
    real_init = HistoryStore.__init__

    def slow_init(self, path, **kwargs):
        release.wait(10)
        real_init(self, path, **kwargs)

    monkeypatch.setattr(HistoryStore, "__init__", slow_init)
    monkeypatch.setattr(writer_module, "OPEN_WAIT_S", 0.05)
    started = time.monotonic()
    writer = HistoryWriter(db_path).start()
    assert time.monotonic() - started < 1.0
    writer.put(a_bin(0))
    release.set()
    assert writer.flush(3.0) and wait_for(lambda: writer.written == 1)
    writer.close()


def test_the_memory_buffer_is_bounded_and_counts_what_it_drops(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "MAX_KEPT", 50)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    writer = HistoryWriter(blocker / "history.sqlite3").start()
    for k in range(80):
        writer.put(a_bin(k))
    assert writer.flush(2.0)
    assert writer.kept == 50 and writer.dropped == 30
    writer.close()


def test_an_unexpected_writer_failure_is_reported_not_silent(db_path, monkeypatch):
    def broken(self, records):
        raise RuntimeError("boom")

    monkeypatch.setattr(HistoryStore, "write", broken)
    messages: list[str] = []
    writer = HistoryWriter(db_path, commit_every_s=0.01, on_error=messages.append).start()
    writer.put(a_bin(0))
    assert wait_for(lambda: messages)
    assert "boom" in messages[0]
    assert writer.flush(1.0)
    writer.close()


class _WatchedQueue:
    """The writer's queue, noting how long each wait for a record may last."""

    def __init__(self, real) -> None:
        self.real = real
        self.waits: list[float | None] = []
        self.got: list[object] = []

    def put(self, item) -> None:
        self.real.put(item)

    def get(self, block: bool = True, timeout: float | None = None):
        self.waits.append(timeout)
        item = self.real.get(block, timeout)
        self.got.append((item, len(self.waits)))  # a wait that timed out takes nothing
        return item

    def wait_after(self, taken) -> float | None:
        """The timeout of the first wait after the writer took ``taken(item)``."""
        assert wait_for(lambda: any(taken(item) for item, _ in self.got))
        following = next(n for item, n in self.got if taken(item))  # the index of the next wait
        assert wait_for(lambda: len(self.waits) > following)
        return self.waits[following]


def watched(writer: HistoryWriter) -> _WatchedQueue:
    queue = _WatchedQueue(writer._queue)
    writer._queue = queue  # type: ignore[assignment]
    return queue


def test_an_idle_writer_sleeps_until_a_record_arrives(db_path):
    """With everything written it waits for the next record without a timeout; it
    used to wake every 10 ms from a second after its last commit (about 1 % of a
    core for the tracker, all day)."""
    writer = HistoryWriter(db_path)
    queue = watched(writer)
    writer.start()
    writer.put(a_bin(0))
    assert writer.flush(2.0) and writer.written == 1
    assert queue.wait_after(lambda item: isinstance(item, writer_module._Flush)) is None
    writer.put(a_bin(1))  # and it still writes what comes next within the second
    assert wait_for(lambda: writer.written == 2)
    writer.close()


def test_a_failing_write_is_tried_again_after_the_retry_interval_not_polled(db_path, monkeypatch):
    def disk_error(self, records):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(HistoryStore, "write", disk_error)
    messages: list[str] = []
    waits_before: list[int] = []

    def on_error(message: str) -> None:  # on the writer's thread, right after the failed write
        waits_before.append(len(queue.waits))
        messages.append(message)

    writer = HistoryWriter(db_path, on_error=on_error)
    queue = watched(writer)
    writer.start()
    writer.put(a_bin(0))
    assert wait_for(lambda: messages and waits_before)
    assert "could not be saved" in messages[0]
    # The next wait lasts until the retry; it used to poll every 10 ms in between.
    assert wait_for(lambda: len(queue.waits) > waits_before[0])
    wait = queue.waits[waits_before[0]]
    assert wait is not None and wait > writer_module.RETRY_S - 1.0
    assert writer.kept == 1
    writer.close()


# -- 2: corruption --------------------------------------------------------------------


def damaged_store(db_path: Path) -> bytes:
    store = HistoryStore(db_path)
    store.write(list(synthetic_days(TODAY, 5)))
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(db_path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle + 8 : middle + page - 8] = os.urandom(page - 16)  # one page in the middle of the file
    db_path.write_bytes(bytes(data))
    return bytes(data)


def test_damage_in_the_middle_is_found_at_open_and_the_file_is_never_written(db_path):
    damaged = damaged_store(db_path)
    with pytest.raises(HistoryCorrupt, match="damaged") as caught:
        HistoryStore(db_path)
    assert str(db_path) in str(caught.value)
    messages: list[str] = []
    writer = HistoryWriter(db_path, on_error=messages.append).start()
    writer.put(a_bin(0))
    writer.flush(1.0)
    writer.close()
    assert messages and "damaged" in messages[0] and "--set-aside" in messages[0]
    assert db_path.read_bytes() == damaged
    assert writer.kept == 1  # kept in memory, not thrown away


def test_cli_reports_a_damaged_file_by_name_and_sets_it_aside_only_when_asked(db_path, capsys):
    damaged = damaged_store(db_path)
    assert cli.main(["export", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert str(db_path) in err and "damaged" in err and "Traceback" not in err
    assert cli.main(["report"]) == 1
    assert cli.main(["check-history"]) == 1
    assert db_path.read_bytes() == damaged
    assert "damaged" in capsys.readouterr().err
    assert cli.main(["check-history", "--set-aside"]) == 0
    out = capsys.readouterr()
    kept = [p for p in db_path.parent.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged and str(kept[0]) in out.out
    assert not db_path.exists()
    HistoryStore(db_path).close()  # a new store starts
    assert cli.main(["check-history"]) == 0
    out = capsys.readouterr()  # the verdict is the result, on stdout
    assert (out.out, out.err) == (f"{db_path}: a sound posture history (schema {SCHEMA_VERSION})\n", "")
    db_path.unlink()
    assert cli.main(["check-history"]) == 0
    assert capsys.readouterr().out == f"no history yet at {db_path}\n"


def test_the_writer_starts_afresh_once_the_damaged_file_is_set_aside(db_path, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_S", 0.05)
    damaged_store(db_path)
    messages: list[str] = []
    writer = HistoryWriter(db_path, commit_every_s=0.05, on_error=messages.append).start()
    writer.put(a_bin(0))
    assert wait_for(lambda: messages)
    set_aside(db_path)
    assert wait_for(lambda: writer.written == 1, 3.0)
    writer.close()
    assert HistoryStore(db_path).bins(0, 1e12) == [a_bin(0)]


# -- 3: a foreign file, a read-only file ------------------------------------------------


def test_a_foreign_sqlite_database_is_refused_untouched(db_path, capsys):
    private_dir(db_path.parent)
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE recipes (name TEXT)")
    db.execute("INSERT INTO recipes VALUES ('soup')")
    db.commit()
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(HistoryForeign, match="not a posture history"):
        HistoryStore(db_path)
    writer = HistoryWriter(db_path).start()
    writer.put(a_bin(0))
    writer.flush(1.0)
    writer.close()
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["history.sqlite3"]
    assert cli.main(["report"]) == 1
    assert "not a posture history" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["report"], ["export", "--table", "episodes"]])
def test_no_history_yet_says_where_the_demos_is_kept(db_path, capsys, command):
    """After `posture demo` (its history is apart), `report` and `export` say so."""
    assert cli.main(command) == 1
    assert capsys.readouterr().err == (
        f"posture: no history yet at {db_path} (`posture demo` and `--simulate` keep theirs apart, in data/demo/)\n"
    )


def test_a_file_that_is_no_history_is_renamed_aside_only_when_asked(db_path, capsys):
    private_dir(db_path.parent)
    junk = bytes(range(256)) * 8
    db_path.write_bytes(junk)
    assert cli.main(["check-history"]) == 1
    err = capsys.readouterr().err
    assert "not a readable posture history" in err and "--set-aside" in err
    assert db_path.read_bytes() == junk
    assert cli.main(["check-history", "--set-aside"]) == 0
    out = capsys.readouterr()
    [kept] = [p for p in db_path.parent.iterdir() if ".damaged-" in p.name]
    assert kept.read_bytes() == junk and "is not a posture history" in out.out and str(kept) in out.out
    assert not db_path.exists()


def test_our_store_carries_the_application_id(db_path):
    HistoryStore(db_path).close()
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == store_module.APPLICATION_ID


def test_a_read_only_history_is_told_apart_from_a_damaged_one(db_path, monkeypatch):
    store = HistoryStore(db_path)
    store.write([a_bin(0)])
    store.close()
    before = db_path.read_bytes()
    real_access = os.access

    def read_only_fs(path, mode, **kwargs):  # what os.access says on a read-only mount
        if mode & os.W_OK and Path(path).resolve().is_relative_to(db_path.parent.resolve()):
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", read_only_fs)
    with pytest.raises(HistoryReadOnly, match="read-only") as caught:
        HistoryStore(db_path)
    assert "damaged" not in str(caught.value)
    assert HistoryStore(db_path, readonly=True).bins(0, 1e12) == [a_bin(0)]  # still viewable
    assert db_path.read_bytes() == before


# -- 5: export never overwrites --------------------------------------------------------


def filled_home(db_path: Path) -> None:
    store = HistoryStore(db_path)
    store.write(list(synthetic_days(date.today(), 3)))
    store.close()


def test_export_refuses_the_history_store_itself_even_with_force(db_path, capsys):
    filled_home(db_path)
    before = db_path.read_bytes()
    for target in (db_path, db_path.with_name(db_path.name + "-wal")):
        for extra in ([], ["--force"]):
            assert cli.main(["export", "-o", str(target), *extra]) == 2
            assert "history" in capsys.readouterr().err
    assert db_path.read_bytes() == before
    assert HistoryStore(db_path).integrity_ok()


def test_export_refuses_an_existing_file_without_force(db_path, tmp_path, capsys):
    filled_home(db_path)
    target = tmp_path / "mine.csv"
    target.write_text("precious")
    assert cli.main(["export", "--table", "bins", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err and "Traceback" not in err
    assert target.read_text() == "precious"
    assert cli.main(["export", "--table", "bins", "-o", str(target), "--force"]) == 0
    assert target.read_text().startswith("start,")


# -- 6: owner-only from the first byte ------------------------------------------------


def test_private_files_are_0600_in_0700_folders_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        target = tmp_path / "a" / "b" / "file.csv"
        with create_private_file(target) as out:
            assert stat.S_IMODE(os.fstat(out.fileno()).st_mode) == 0o600  # before any byte
        assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
        with pytest.raises(FileExistsError):
            create_private_file(target)
        loose = tmp_path / "loose"
        loose.write_text("x")
        loose.chmod(0o644)
        create_private_file(loose, exclusive=False).close()
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_atomic_private_write_is_never_world_readable(tmp_path, monkeypatch):
    seen: list[int] = []
    real_replace = os.replace

    def watch(src, dst):
        seen.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watch)
    old = os.umask(0)
    try:
        write_private_atomically(tmp_path / "calibration.json", b"{}")
    finally:
        os.umask(old)
    assert seen == [0o600]
    assert stat.S_IMODE((tmp_path / "calibration.json").stat().st_mode) == 0o600


def test_history_calibration_and_export_files_are_private(db_path, home, tmp_path, monkeypatch):
    from companion.body_frames import legacy_file, save_frame
    from companion.engine import BodyFrame

    old = os.umask(0)
    try:
        filled_home(db_path)
        save_frame("AA:BB", BodyFrame.from_dict({"up": [0.0, 0.0, 1.0], "forward": [1.0, 0.0, 0.0]}), 0.0, db_path)
        assert not legacy_file().exists()  # calibrations live in the (private) history
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
        out = tmp_path / "exports" / "all.json"
        assert cli.main(["export", "--format", "json", "-o", str(out)]) == 0
        json.loads(out.read_text())
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
        for path in db_path.parent.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        for folder in (home, db_path.parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    finally:
        os.umask(old)


# -- a gap in the data is not worn (issue 11) -----------------------------------------


def session_with_a_gap() -> list:
    """Two minutes upright, ten minutes with no samples at all, two minutes upright,
    fed through the live session as the app does."""
    from datetime import datetime, timedelta

    from companion.engine import BodyFrame
    from companion.live import LiveSession
    from companion.readings import ImuReading
    from companion.settings import Settings

    wall0 = datetime(2026, 11, 20, 10, 0)
    clock = {"t": 0.0}
    frame = BodyFrame.from_dict({"up": [0.0, 0.0, 1.0], "forward": [1.0, 0.0, 0.0]})
    session = LiveSession(Settings(), frame=frame, clock=lambda: wall0 + timedelta(seconds=clock["t"]))
    records = [session.start_record("A", "n", "reference")]
    seq = 0
    for start_s, end_s in ((0.0, 120.0), (720.0, 840.0)):
        t = start_s
        while t < end_s:
            chunk = []
            for _ in range(10):
                chunk.append(ImuReading(t, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0), seq))
                seq += 1
                t += 0.02
            clock["t"] = t
            records += session.feed(chunk).records
    return records + session.end_records()


def test_a_gap_in_a_session_is_reported_and_exported_as_not_worn(db_path):
    from companion.history.export import collect, to_csv
    from companion.history.report import build_report

    store = HistoryStore(db_path)
    store.write(session_with_a_gap())
    bins = store.bins(0, 1e12)
    assert sum(b.seconds for b in bins) == pytest.approx(240.0, abs=1.0)  # nothing stored for the gap
    assert not any(b.start >= bins[0].start + 125 and b.start < bins[0].start + 715 for b in bins)
    day = build_report(store, 1, TODAY).days[0]
    assert day.tracked_s == pytest.approx(240.0, abs=1.0)  # not 840 s from session start to end
    days_csv = to_csv(collect(store, 0.0, today=TODAY), "days").splitlines()
    assert days_csv[1].split(",")[1] == f"{day.tracked_s:.1f}"


# -- alerts delivered and held back, counted apart (issue 18 item 7) ------------------


def alerts_day(db_path: Path) -> HistoryStore:
    from datetime import datetime

    from companion.history.records import Alert, Episode

    t0 = datetime(2026, 11, 20, 11, 0).timestamp()
    store = HistoryStore(db_path)
    store.write(
        [
            SessionStarted(t0, "A", "n", "reference"),
            Bin(t0, 5.0, 0.0, 5.0, 0.0, 0.0, 20.0, 0.0),
            Alert(t0 + 30, "slouch", 20.0, True),
            Episode(t0, t0 + 60, 22.0, 20.0, True),
            Alert(t0 + 630, "slouch", 21.0, False),  # quiet mode: no toast was shown
            Episode(t0 + 600, t0 + 660, 23.0, 21.0, True),
        ]
    )
    return store


def test_report_counts_delivered_and_held_back_alerts_apart(db_path, capsys):
    from companion.history.report import build_report

    store = alerts_day(db_path)
    day = build_report(store, 1, TODAY).days[0]
    assert (day.alerts, day.alerts_held_back) == (1, 1)
    store.close()


def test_the_days_tally_counts_alerts_as_the_report_does(db_path):
    """The live panel's count after a restart (from the history) and the report's."""
    from datetime import datetime

    from companion.coach.tally import DayTally
    from companion.history.records import Alert
    from companion.history.report import build_report

    store = alerts_day(db_path)
    t0 = datetime(2026, 11, 20, 11, 0).timestamp()
    store.write([Alert(t0 + 700, "lean", 12.0, True), Alert(t0 + 800, "lean", 13.0, False)])
    tally = DayTally.from_history([], store.alerts(0, 1e12), [])
    day = build_report(store, 1, TODAY).days[0]
    assert (tally.alerts, tally.alerts_held_back) == (day.alerts, day.alerts_held_back) == (2, 2)
    assert tally.lean_alerts == 2
    store.close()


def test_export_marks_held_back_alerts(db_path):
    import csv as csv_module
    import io

    from companion.history.export import collect, to_csv

    data = collect(alerts_day(db_path), 0.0, today=TODAY)
    alerts = list(csv_module.DictReader(io.StringIO(to_csv(data, "alerts"))))
    assert [a["delivered"] for a in alerts] == ["yes", "no"]
    episodes = list(csv_module.DictReader(io.StringIO(to_csv(data, "episodes"))))
    assert [e["alert_delivered"] for e in episodes] == ["yes", "no"]
    days = list(csv_module.DictReader(io.StringIO(to_csv(data, "days"))))
    assert (days[-1]["alerts"], days[-1]["alerts_held_back"]) == ("1", "1")


async def test_history_screen_shows_held_back_alerts(db_path):
    from textual.app import App
    from textual.widgets import DataTable, Static

    from companion.ui.history_screen import HistoryScreen

    alerts_day(db_path).close()
    screen = HistoryScreen(db_path, TODAY)
    app = App()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.push_screen(screen)
        table = screen.query_one(DataTable)
        for _ in range(20):
            if screen.view is not None and table.row_count:
                break
            # The screen loads its day in a thread: wait for the loader, not for a clock.
            loading = [w for w in app.workers if w.group == "history"]
            if loading:
                await app.workers.wait_for_complete(loading)
            await pilot.pause()
        column = [table.get_row_at(i)[4] for i in range(table.row_count)]
        assert column == ["yes", "held back"]
        assert "Alerts 1, held back 1" in str(screen.query_one("#shares", Static).render())


# -- kill -9, again and again, on one file ----------------------------------------------


def test_repeated_kill_minus_9_never_damages_the_file(tmp_path):
    from benchmarks.history import kill_loop

    result = kill_loop(tmp_path / "history.sqlite3", iterations=3, seed=1)
    assert result.integrity_failures == 0 and result.open_failures == 0
    assert len(result.losses_s) == 3
    assert result.max_loss_s <= 2.5  # about the one-second commit interval


def test_recordings_are_private_from_creation(tmp_path, capsys, virtual_time):
    out = tmp_path / "recordings" / "me.csv"
    private_dir(out.parent)
    old = os.umask(0)
    try:
        assert cli.main(["record", str(out), "--simulate", "--seconds", "1", "--timeout", "3"]) == 0
    finally:
        os.umask(old)
    metadata, header, *_ = out.read_text().splitlines()
    assert metadata.startswith("# posture-recording ") and header == "t,ax,ay,az,gx,gy,gz"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# -- the app shows a store failure ------------------------------------------------------


async def test_the_app_shows_a_store_failure_within_two_seconds_and_keeps_running(tmp_path):
    import asyncio

    from companion.settings import Settings
    from companion.ui.app import PostureApp

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app = PostureApp(settings=Settings(), settings_file=tmp_path / "s.toml", history_path=blocker / "h.sqlite3")
    loop = asyncio.get_running_loop()
    async with app.run_test(size=(100, 30)) as pilot:
        started = loop.time()
        while not any("cannot be created" in n.message for n in app._notifications):
            assert loop.time() - started < 2.0, "no history message within 2 s"
            await pilot.pause(0.05)
        assert app.sub_title == "history not being saved"
        assert app.history is not None and app.history.error


def test_export_to_a_folder_writes_one_csv_per_table_and_refuses_to_replace(db_path, tmp_path, capsys):
    filled_home(db_path)
    folder = tmp_path / "export"
    assert cli.main(["export", "-o", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["alerts.csv", "bins.csv", "days.csv", "episodes.csv", "stretches.csv"]
    assert (folder / "days.csv").read_text().startswith("day,tracked_s,upright_share,")
    (folder / "bins.csv").write_text("mine")
    capsys.readouterr()
    assert cli.main(["export", "-o", str(folder)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (folder / "bins.csv").read_text() == "mine"
    assert cli.main(["export"]) == 2  # CSV to the terminal needs a table
    assert "--table" in capsys.readouterr().err
    assert cli.main(["export", "--table", "days"]) == 0
    assert capsys.readouterr().out.startswith("day,")


def test_a_store_that_turns_read_only_while_writing_says_so(db_path, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_S", 0.05)

    def read_only(self, records):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(HistoryStore, "write", read_only)
    messages: list[str] = []
    writer = HistoryWriter(db_path, commit_every_s=0.01, on_error=messages.append).start()
    writer.put(a_bin(0))
    assert wait_for(lambda: messages)
    assert "read-only" in messages[0] and "damaged" not in messages[0]
    writer.close()
    assert writer.kept == 1


def test_export_into_a_pipe_that_closes_early_exits_quietly(db_path, home):
    """``posture export --table bins | head -1``: a real pipe, so a real process."""
    import subprocess
    import sys

    filled_home(db_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "companion", "export", "--table", "bins"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "POSTURE_HOME": str(home)},
    )
    assert process.stdout.readline().startswith(b"start,")
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=30) == 0
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
