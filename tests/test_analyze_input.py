"""`posture analyze` on bad input: one line on stderr naming the file, the line and
the problem, exit status 2, never a traceback; long recordings in bounded memory."""

from __future__ import annotations

import gzip
import tracemalloc

import numpy as np
import pytest

from companion import analysis, recording
from companion.cli import main
from companion.recording import CHUNK_BYTES, RecordingError, read_chunks, read_metadata

HEADER = "t,ax,ay,az,gx,gy,gz\n"


def _rows(n: int, step: float = 0.02, start: float = 0.0) -> str:
    return "".join(f"{start + i * step:.4f},0.1,0.2,9.79,0.01,0.02,0.03\n" for i in range(n))


def _analyze(capsys, path):
    code = main(["analyze", str(path)])
    err = capsys.readouterr().err
    return code, err


CASES = {
    "nan_gyro": (HEADER + _rows(20) + "0.4000,0.1,0.2,9.79,nan,0.02,0.03\n" + _rows(5, start=0.42), 22, "angular rate"),
    "nan_accel": (HEADER + _rows(20) + "0.4000,nan,0.2,9.79,0.1,0.02,0.03\n", 22, "finite"),
    "huge_field": (HEADER + _rows(10) + "0.2," + "1" * (128 * 1024) + ",0,9.8,0,0,0\n", 12, "bytes"),
    "ms_times": (HEADER + _rows(50, step=20.0), 3, "milliseconds"),
    "unsorted": (HEADER + _rows(10) + "0.1000,0.1,0.2,9.79,0.01,0.02,0.03\n", 12, "does not increase"),
    "text": (HEADER + _rows(3) + "0.06,0,zero,9.8,0,0,0\n", 5, "expected 7 numbers"),
    "short_row": (HEADER + _rows(3) + "0.06,0,0\n", 5, "expected 7 numbers"),
    "gyro_appears": ("t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,nan,nan,nan\n0.02,0,0,9.8,1,2,3\n", 3, "angular rate where"),
    "no_header": ("time,x,y,z\n0,0,0,9.8\n", 1, "missing column"),
}


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_bad_text_names_file_line_and_problem(tmp_path, capsys, case):
    text, line, problem = CASES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    code, err = _analyze(capsys, path)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err and f"line {line}:" in err and problem in err, err
    assert "Traceback" not in err


def test_binary_file(tmp_path, capsys):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50)
    code, err = _analyze(capsys, path)
    assert code == 2 and "line 1:" in err and "binary" in err and len(err.strip().splitlines()) == 1


def test_binary_after_good_lines(tmp_path, capsys):
    path = tmp_path / "torn.csv"
    path.write_bytes((HEADER + _rows(100)).encode() + b"\x00\x01\x02garbage\n" + _rows(5, start=3).encode())
    code, err = _analyze(capsys, path)
    assert code == 2 and "line 102:" in err and "binary" in err


def test_empty_and_missing_files(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, err = _analyze(capsys, empty)
    assert code == 2 and "empty" in err
    only_header = tmp_path / "header.csv"
    only_header.write_text(HEADER)
    code, err = _analyze(capsys, only_header)
    assert code == 2 and "no samples" in err
    code, err = _analyze(capsys, tmp_path / "absent.csv")
    assert code == 2 and "cannot open" in err


def test_errors_deep_in_a_long_file_name_the_right_line(tmp_path):
    rows = 3 * CHUNK_BYTES // 40
    path = tmp_path / "long.csv"
    with path.open("w") as out:
        out.write(HEADER)
        out.write(_rows(rows))
        out.write(f"{rows * 0.02:.4f},0.1,0.2,inf,0.01,0.02,0.03\n")
    with pytest.raises(RecordingError, match=f"line {rows + 2}:"):
        for _ in read_chunks(path):
            pass


def test_gzip_and_metadata_are_read(tmp_path):
    path = tmp_path / "rec.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write('# posture-recording {"kind":"witmotion","rate_hz":50.0}\n' + HEADER + _rows(200))
    assert read_metadata(path) == {"kind": "witmotion", "rate_hz": 50.0}
    chunks = list(read_chunks(path))
    assert sum(len(c.t) for c in chunks) == 200
    assert chunks[0].accel_g[0] == pytest.approx(np.array([0.1, 0.2, 9.79]) / 9.80665)


def test_reading_is_chunked_in_bounded_memory(tmp_path, monkeypatch):
    """The reader holds a few of its chunks at a time, never the file: with 64 KiB
    chunks, 60 000 rows (3 MB of text, 3.4 MB as one array) peak near 1 MB, and so
    would a million rows (with the real 1 MiB chunks: about 16 MB at any size)."""
    monkeypatch.setattr(recording, "CHUNK_BYTES", 64 * 1024)
    path = tmp_path / "big.csv"
    t = np.arange(60_000) * 0.02
    with path.open("w") as out:
        out.write(HEADER)
        out.write("\n".join(map("{:.4f},0.1,0.2,9.79,0.01,0.02,0.03".format, t.tolist())) + "\n")
    whole_array = t.size * 7 * 8
    del t
    tracemalloc.start()
    count = 0
    for chunk in read_chunks(path):
        count += len(chunk.t)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 60_000
    assert peak < 1.5 * 1024 * 1024 < whole_array / 2


def test_a_recording_is_parsed_once_when_it_fits_and_again_for_each_pass_when_not(tmp_path, monkeypatch):
    """analyze passes over a recording two or three times (seconds, the upright
    window, the replay): kept when it fits in KEEP_BYTES, parsed again otherwise."""
    path = tmp_path / "still.csv"
    path.write_text(HEADER + _rows(6000))
    reads: list[object] = []
    parse = analysis.read_chunks

    def counted(source):
        reads.append(source)
        return parse(source)

    monkeypatch.setattr(analysis, "read_chunks", counted)
    kept = analysis.analyze(path)
    assert len(reads) == 1
    monkeypatch.setattr(analysis, "KEEP_BYTES", 64 * 1024)  # 6000 rows are 336 kB parsed
    monkeypatch.setattr(recording, "CHUNK_BYTES", 16 * 1024)
    reads.clear()
    streamed = analysis.analyze(path)
    assert len(reads) >= 2
    assert (streamed.frames, streamed.events, streamed.samples) == (kept.frames, kept.events, kept.samples)
    assert len(kept.frames) >= 100


def test_the_samples_analyze_keeps_are_counted_as_the_memory_they_hold(tmp_path):
    """The arrays of a chunk are views of its parsed block: KEEP_BYTES bounds what is
    held, not the views' own sizes (a third less)."""
    path = tmp_path / "r.csv"
    path.write_text(HEADER + _rows(20_000))
    tracemalloc.start()
    chunks = list(read_chunks(path))
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    counted = sum(analysis._held_bytes(chunk) for chunk in chunks)
    assert 0.9 * held <= counted <= held
