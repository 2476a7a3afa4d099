"""Raw recordings: CSV files with the header ``t,ax,ay,az,gx,gy,gz``.

``t`` in seconds, acceleration in m/s^2 with gravity, angular rate in deg/s, in
the sensor's own axes; extra columns (such as ``label``) are ignored when read.
``posture record`` writes this format and ``posture analyze`` reads it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from .readings import ImuReading

G_MS2 = 9.80665
HEADER = ("t", "ax", "ay", "az", "gx", "gy", "gz")


class RecordingError(ValueError):
    """A recording that cannot be read; the message names the file and line."""


def write_header(out: TextIO) -> None:
    out.write(",".join(HEADER) + "\n")


def write_readings(out: TextIO, readings: Iterable[ImuReading]) -> int:
    count = 0
    for r in readings:
        ax, ay, az = (v * G_MS2 for v in r.accel_g)
        gx, gy, gz = r.gyro_dps if r.gyro_dps is not None else (math.nan,) * 3
        out.write(f"{r.t_s:.4f},{ax:.4f},{ay:.4f},{az:.4f},{gx:.3f},{gy:.3f},{gz:.3f}\n")
        count += 1
    return count


def read_readings(path: Path) -> Iterator[ImuReading]:
    """Readings from a recording, in file order; raises RecordingError on bad lines."""
    try:
        handle = path.open(newline="")
    except OSError as exc:
        raise RecordingError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None:
            raise RecordingError(f"{path}: the file is empty")
        names = [h.strip().lower() for h in header]
        missing = [h for h in HEADER if h not in names]
        if missing:
            raise RecordingError(
                f"{path}, line 1: missing column(s) {', '.join(missing)}; expected a header starting {','.join(HEADER)}"
            )
        index = [names.index(h) for h in HEADER]
        last_t = -math.inf
        for seq, row in enumerate(rows):
            line = seq + 2
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                t, ax, ay, az, gx, gy, gz = (float(row[i]) for i in index)
            except (ValueError, IndexError):
                raise RecordingError(f"{path}, line {line}: expected 7 numbers in {','.join(HEADER)}, got {','.join(row)!r}") from None
            if not all(math.isfinite(v) for v in (t, ax, ay, az)):
                raise RecordingError(f"{path}, line {line}: time and acceleration must be finite numbers")
            if t <= last_t:
                raise RecordingError(f"{path}, line {line}: time {t} does not increase (previous {last_t})")
            last_t = t
            gyro = None if any(math.isnan(v) for v in (gx, gy, gz)) else (gx, gy, gz)
            yield ImuReading(t, (ax / G_MS2, ay / G_MS2, az / G_MS2), gyro, seq)
