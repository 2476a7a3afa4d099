"""Taking the data away: episodes, bins, stretches, alerts and days as JSON or CSV.

CSV is made for spreadsheets: one table per file, local ISO 8601 times with their
UTC offset, seconds and degrees rounded to a tenth. JSON keeps everything at full
precision (Unix seconds) and ``read_export`` reads it back into the same records,
exactly. Both are documented in docs/history.md.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .records import Alert, Bin, Episode, Stretch
from .report import DayReport, day_reports
from .store import HistoryStore

FORMAT_NAME = "posture-export"
FORMAT_VERSION = 2
RECORD_TABLES: dict[str, type] = {"episodes": Episode, "bins": Bin, "stretches": Stretch, "alerts": Alert}
TABLES = ("episodes", "bins", "stretches", "alerts", "days")

# CSV columns per table: (column, field or None, how the value is written)
_TIME, _SECONDS, _DEGREES, _SHARE, _TEXT, _YESNO, _COUNT = "time", "s", "deg", "share", "text", "yesno", "count"
CSV_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "episodes": [
        ("start", _TIME),
        ("end", _TIME),
        ("duration_s", _SECONDS),
        ("peak_deg", _DEGREES),
        ("mean_deg", _DEGREES),
        ("alerted", _YESNO),
        ("alert_delivered", _YESNO),
        ("note", _TEXT),
    ],
    "bins": [
        ("start", _TIME),
        ("seconds", _SECONDS),
        ("upright_s", _SECONDS),
        ("slouched_s", _SECONDS),
        ("moving_s", _SECONDS),
        ("away_s", _SECONDS),
        ("mean_flexion_deg", _DEGREES),
        ("mean_lateral_deg", _DEGREES),
    ],
    "stretches": [
        ("at", _TIME),
        ("kind", _TEXT),
        ("completed_by", _TEXT),
        ("duration_s", _SECONDS),
        ("left_deg", _DEGREES),
        ("right_deg", _DEGREES),
        ("extension_deg", _DEGREES),
    ],
    "alerts": [("at", _TIME), ("kind", _TEXT), ("angle_deg", _DEGREES), ("delivered", _YESNO)],
    "days": [
        ("day", _TEXT),
        ("tracked_s", _SECONDS),
        ("upright_share", _SHARE),
        ("slouched_s", _SECONDS),
        ("episodes", _COUNT),
        ("alerts", _COUNT),
        ("alerts_held_back", _COUNT),
        ("longest_slouch_s", _SECONDS),
        ("stretches", _COUNT),
    ],
}


class ExportError(UsageError):
    pass


def collect(
    store: HistoryStore, since_s: float, until_s: float = math.inf, today: date | None = None
) -> dict[str, list[Any]]:
    end = until_s if math.isfinite(until_s) else 1e12
    bins = store.bins(since_s, end)
    first_day = datetime.fromtimestamp(max(since_s, bins[0].start if bins else since_s)).date()
    last_day = today or date.today()
    if math.isfinite(until_s):
        last_day = min(last_day, datetime.fromtimestamp(until_s).date())
    return {
        "episodes": [episode for _id, episode in store.episodes(since_s, end)],
        "bins": bins,
        "stretches": store.stretches(since_s, end),
        "alerts": store.alerts(since_s, end),
        "days": day_reports(store, first_day, last_day) if bins or since_s else [],
    }


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _values(record: Any) -> dict[str, Any]:
    """A record's fields by name (they are all plain values): ``asdict`` without its
    deep copy, which was most of an export's time (a year is 1.5 M bins)."""
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(record))
    return {name: getattr(record, name) for name in names}


def to_json(data: dict[str, list[Any]]) -> str:
    """The export as JSON, one record a line. Each record goes through the json
    module's C encoder; an indented dump takes its pure-Python path (a year took a
    minute)."""
    parts = [f' "format": {json.dumps(FORMAT_NAME)}', f' "version": {json.dumps(FORMAT_VERSION)}']
    for name, rows in data.items():
        records = ",\n  ".join(json.dumps(_values(r)) for r in rows)
        parts.append(f" {json.dumps(name)}: [\n  {records}\n ]" if rows else f" {json.dumps(name)}: []")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _local_iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s).astimezone().isoformat(timespec="seconds")


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


# How a CSV column's values are written, by kind (the rest: str).
_FORMATS: dict[str, Callable[[Any], str]] = {
    _TIME: _local_iso,
    _SECONDS: "{:.1f}".format,
    _DEGREES: "{:.1f}".format,
    _SHARE: "{:.3f}".format,
    _YESNO: _yes_no,
}


def _episode_delivery(data: dict[str, list[Any]]) -> list[bool | None]:
    """Per episode: True when its slouch alert reached the wearer, False when it was
    held back (quiet mode, snooze, quiet hours, budget), None when never alerted."""
    slouch_alerts = [a for a in data.get("alerts", []) if a.kind == "slouch"]
    out: list[bool | None] = []
    for episode in data.get("episodes", []):
        inside = [a.delivered for a in slouch_alerts if episode.start <= a.at <= episode.end + 1.0]
        out.append(any(inside) if inside else (False if episode.alerted else None))
    return out


def to_csv(data: dict[str, list[Any]], table: str) -> str:
    """One table as CSV, for a spreadsheet."""
    if table not in CSV_COLUMNS:
        raise ExportError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    columns = CSV_COLUMNS[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _kind in columns])
    delivery = _episode_delivery(data) if table == "episodes" else []
    formats = [(name, _FORMATS.get(kind, str)) for name, kind in columns]  # a cell: empty for None, else this
    for index, record in enumerate(data.get(table, [])):
        values = _values(record)
        if table == "episodes":
            values["duration_s"] = record.end - record.start
            values["alert_delivered"] = delivery[index]
        writer.writerow(["" if (v := values.get(name)) is None else form(v) for name, form in formats])
    return out.getvalue()


def _convert(cls: type, raw: dict[str, Any]) -> Any:
    return cls(**{name: convert(raw.get(name)) for name, convert in _converters(cls)})


@functools.cache
def _converters(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Per field of ``cls``: its name and how a JSON value becomes the stored one."""
    out = []
    for f in fields(cls):
        kind = str(f.type)
        if kind == "str":
            convert: Callable[[Any], Any] = _text_or_empty
        elif kind == "bool":
            convert = _or_none(bool)
        elif kind.startswith("float"):
            convert = _or_none(float)
        elif kind == "int":
            convert = _or_none(int)
        else:
            convert = _or_none(str)
        out.append((f.name, convert))
    return tuple(out)


def _text_or_empty(value: Any) -> str:
    return "" if value is None else str(value)


def _or_none(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else kind(value)


def read_export(path: Path) -> dict[str, list[Any]]:
    """The records of a JSON export, exactly as they were stored."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExportError(f"{path} is not a posture JSON export ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ExportError(f"{path} is not a posture export")
    out: dict[str, list[Any]] = {
        name: [_convert(cls, row) for row in data.get(name, [])] for name, cls in RECORD_TABLES.items()
    }
    out["days"] = [_convert(DayReport, row) for row in data.get("days", [])]
    return out
