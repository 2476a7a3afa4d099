"""Raw recordings: CSV files with the header ``t,ax,ay,az,gx,gy,gz``.

``t`` in seconds, acceleration in m/s^2 with gravity, angular rate in deg/s, in
the sensor's own axes; extra columns (such as ``label``) are ignored when read.
``posture record`` writes this format and ``posture analyze`` reads it; files
ending in ``.gz`` are read through gzip.

``posture record`` starts the file with one comment line of metadata::

    # posture-recording {"kind": "witmotion", "rate_hz": 50.0, "calibration": {...}}

(sensor kind, nominal rate, and the body frame in force if there was one), which
``analyze`` uses by default. Files without it read the same.

Reading is chunked and parsed by numpy: memory stays bounded whatever the file's
length, and every problem is reported with the file, the line and what is wrong.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from .errors import RecordingInvalid
from .readings import ImuReading

G_MS2 = 9.80665
HEADER = ("t", "ax", "ay", "az", "gx", "gy", "gz")
METADATA_PREFIX = "# posture-recording "
MAX_LINE_BYTES = 1024  # a data line is ~60 bytes; anything this long is not a recording
CHUNK_BYTES = 1 << 20
MS_STEP = 1.0  # a median step this long means the times are not in seconds


class RecordingError(RecordingInvalid):
    """A recording that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive samples: times (s), acceleration (g), angular rate (deg/s) or None."""

    t: np.ndarray
    accel_g: np.ndarray
    gyro_dps: np.ndarray | None
    first_line: int

    def readings(self, first_seq: int = 0) -> list[ImuReading]:
        gyro = self.gyro_dps.tolist() if self.gyro_dps is not None else [None] * len(self.t)
        return [
            ImuReading(t, (a[0], a[1], a[2]), None if g is None else (g[0], g[1], g[2]), first_seq + i)
            for i, (t, a, g) in enumerate(zip(self.t.tolist(), self.accel_g.tolist(), gyro))
        ]


def write_header(out: IO[str], metadata: dict[str, object] | None = None) -> None:
    if metadata:
        out.write(METADATA_PREFIX + json.dumps(metadata, separators=(",", ":")) + "\n")
    out.write(",".join(HEADER) + "\n")


def write_readings(out: IO[str], readings: Iterable[ImuReading]) -> int:
    count = 0
    for r in readings:
        ax, ay, az = (v * G_MS2 for v in r.accel_g)
        gx, gy, gz = r.gyro_dps if r.gyro_dps is not None else (math.nan,) * 3
        out.write(f"{r.t_s:.4f},{ax:.4f},{ay:.4f},{az:.4f},{gx:.3f},{gy:.3f},{gz:.3f}\n")
        count += 1
    return count


def _open(path: Path):
    try:
        if path.suffix == ".gz":
            handle = gzip.open(path, "rb")  # noqa: SIM115 - returned open to the reader, which closes it
            handle.peek(1)
            return handle
        return path.open("rb")
    except (OSError, EOFError) as exc:
        raise RecordingError(f"{path}: cannot open: {getattr(exc, 'strerror', None) or exc}") from exc


class _Lines:
    """Lines as bytes from a binary handle, in blocks, refusing binary data and
    over-long lines before they reach the parser."""

    def __init__(self, path: Path, handle) -> None:
        self.path = path
        self.handle = handle
        self.line = 0  # number of the last line handed out
        self._rest = b""

    def _fail(self, line: int, problem: str) -> RecordingError:
        return RecordingError(f"{self.path}, line {line}: {problem}")

    def block(self) -> tuple[bytes, int] | None:
        """The next complete lines (about 1 MiB of them) as bytes, with the number
        of the first; None at the end. Checked for binary data and long lines."""
        while True:
            try:
                data = self.handle.read(CHUNK_BYTES)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise self._fail(self.line + 1, f"cannot read: {exc}") from exc
            if not data:  # the end: what is left is the last line, without its newline
                body, self._rest = self._rest, b""
                if not body:
                    return None
            else:
                data = self._rest + data
                cut = data.rfind(b"\n")
                body, self._rest = data[: cut + 1], data[cut + 1 :]
                if len(self._rest) > MAX_LINE_BYTES:
                    self._check(body)
                    raise self._fail(
                        self.line + body.count(b"\n") + 1, f"a line longer than {MAX_LINE_BYTES} bytes: not a recording"
                    )
                if not body:
                    continue
            first = self.line + 1
            self._check(body)
            self.line += body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
            return body, first

    def push_back(self, body: bytes, lines: int) -> None:
        """Return the tail of a block (``lines`` lines) to be read again."""
        self._rest = body + self._rest
        self.line -= lines

    def _check(self, body: bytes) -> None:
        """Binary data and over-long lines, found with numpy over the whole block."""
        problems: list[tuple[int, str]] = []
        nul = body.find(b"\0")
        if nul >= 0:
            problems.append((body.count(b"\n", 0, nul), "binary data (NUL bytes): not a CSV recording"))
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append((body.count(b"\n", 0, exc.start), "binary data (not UTF-8 text): not a CSV recording"))
        raw = np.frombuffer(body, dtype=np.uint8)
        ends = np.flatnonzero(raw == 10)
        lengths = np.diff(np.concatenate(([-1], ends, [len(raw)]))) - 1
        long = np.flatnonzero(lengths > MAX_LINE_BYTES)
        if len(long):
            i = int(long[0])
            problems.append((i, f"a line of {int(lengths[i])} bytes (at most {MAX_LINE_BYTES}): not a recording"))
        if problems:
            offset, problem = min(problems)
            raise self._fail(self.line + offset + 1, problem)


def read_metadata(path: Path) -> dict[str, object]:
    """The metadata comment ``posture record`` writes, or {} when there is none."""
    with _open(path) as handle:
        first = handle.readline(MAX_LINE_BYTES * 8)
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    if not text.startswith(METADATA_PREFIX):
        return {}
    try:
        data = json.loads(text[len(METADATA_PREFIX) :])
    except ValueError as exc:
        raise RecordingError(f"{path}, line 1: unreadable metadata: {exc}") from None
    if not isinstance(data, dict):
        raise RecordingError(f"{path}, line 1: metadata must be a JSON object")
    return data


def read_chunks(path: Path) -> Iterator[Chunk]:
    """The recording in chunks of consecutive samples, each checked: numbers where
    numbers belong, finite time and acceleration, the gyroscope either present on
    every line or absent (NaN) on every line, times increasing and in seconds."""
    path = Path(path)
    with _open(path) as handle:
        lines = _Lines(path, handle)
        header_line, index = _header(path, lines)
        state = _State()
        while True:
            block = lines.block()
            if block is None:
                break
            yield from _parse(path, block[0], block[1], index, state)
        if state.count == 0:
            raise RecordingError(f"{path}, line {header_line + 1}: no samples after the header")


class _State:
    def __init__(self) -> None:
        self.last_t = -math.inf
        self.last_line = 0
        self.count = 0
        self.has_gyro: bool | None = None
        self.steps_checked = False


def _header(path: Path, lines: _Lines) -> tuple[int, list[int]]:
    while True:
        block = lines.block()
        if block is None:
            raise RecordingError(f"{path}: the file is empty")
        body, first = block
        rows = body.split(b"\n")
        for offset, raw in enumerate(rows):
            text = raw.decode("utf-8").strip()
            if not text or text.startswith("#"):
                continue
            number = first + offset
            names = [h.strip().lower() for h in text.split(",")]
            missing = [h for h in HEADER if h not in names]
            if missing:
                raise RecordingError(
                    f"{path}, line {number}: missing column(s) {', '.join(missing)}; "
                    f"expected a header starting {','.join(HEADER)}"
                )
            rest = b"\n".join(rows[offset + 1 :])
            lines.push_back(rest, lines.line - number)
            return number, [names.index(h) for h in HEADER]


def _parse(path: Path, body: bytes, first: int, index: list[int], state: _State) -> Iterator[Chunk]:
    text = body.decode("utf-8")
    if "#" in text or "\n\n" in text or text.startswith("\n") or "\r" in text:
        # Comments, blank lines or CRLF: map rows to line numbers the slow way (rare).
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        keep = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
        numbers = first + np.array(keep, dtype=np.int64)
        text = "\n".join(lines[i].rstrip("\r") for i in keep)
    else:
        count = text.count("\n") + (0 if text.endswith("\n") else 1)
        numbers = first + np.arange(count)
    if len(numbers) == 0:
        return
    try:
        data = np.loadtxt(io.StringIO(text), delimiter=",", usecols=index, dtype=float, ndmin=2, comments=None)
    except (ValueError, IndexError):
        data = None
    if data is None or data.shape != (len(numbers), 7):
        rows = text.split("\n")
        _find_bad_row(path, rows, numbers, index)
        raise RecordingError(f"{path}, line {numbers[0]}: unreadable numbers")  # pragma: no cover
    t, accel, gyro = data[:, 0], data[:, 1:4], data[:, 4:7]
    bad = ~np.isfinite(t) | ~np.isfinite(accel).all(axis=1)
    if bad.any():
        line = int(numbers[np.argmax(bad)])
        raise RecordingError(f"{path}, line {line}: time and acceleration must be finite numbers")
    absent = np.isnan(gyro)
    partial = absent.any(axis=1) & ~absent.all(axis=1)
    infinite = np.isinf(gyro).any(axis=1)
    if partial.any() or infinite.any():
        line = int(numbers[np.argmax(partial | infinite)])
        raise RecordingError(f"{path}, line {line}: angular rate must be three finite numbers, or NaN on all three")
    missing = absent.all(axis=1)
    if state.has_gyro is None:
        state.has_gyro = not bool(missing[0])
    mixed = missing if state.has_gyro else ~missing
    if mixed.any():
        line = int(numbers[np.argmax(mixed)])
        what = (
            "no angular rate where earlier lines have one"
            if state.has_gyro
            else "an angular rate where earlier lines have none"
        )
        raise RecordingError(f"{path}, line {line}: {what}")
    previous = np.concatenate(([state.last_t], t[:-1]))
    backwards = t <= previous
    if backwards.any():
        i = int(np.argmax(backwards))
        before = state.last_t if i == 0 else float(t[i - 1])
        raise RecordingError(f"{path}, line {int(numbers[i])}: time {t[i]:g} does not increase (previous {before:g})")
    if not state.steps_checked:
        steps = np.diff(np.concatenate(([state.last_t], t))[1 if state.count == 0 else 0 :])
        if len(steps) >= 1:
            state.steps_checked = len(steps) >= 10 or state.count + len(t) >= 11
            median = float(np.median(steps))
            if median >= MS_STEP:
                raise RecordingError(
                    f"{path}, line {int(numbers[1]) if len(numbers) > 1 else int(numbers[0])}: samples are "
                    f"{median:g} apart; t must be in seconds (milliseconds? divide by 1000)"
                )
    state.last_t = float(t[-1])
    state.count += len(t)
    yield Chunk(t, accel / G_MS2, gyro if state.has_gyro else None, int(numbers[0]))


def _find_bad_row(path: Path, rows: list[str], numbers: np.ndarray, index: list[int]) -> None:
    for raw, number in zip(rows, numbers.tolist()):
        cells = raw.rstrip("\r").split(",")
        try:
            [float(cells[i]) for i in index]
        except (ValueError, IndexError):
            raise RecordingError(
                f"{path}, line {number}: expected 7 numbers in {','.join(HEADER)}, got {raw.strip()!r}"
            ) from None


def read_readings(path: Path) -> Iterator[ImuReading]:
    """Readings from a recording, in file order; raises RecordingError on bad lines."""
    seq = 0
    for chunk in read_chunks(Path(path)):
        yield from chunk.readings(seq)
        seq += len(chunk.t)
