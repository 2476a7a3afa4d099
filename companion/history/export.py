"""Taking the data away: episodes, bins and stretches as JSON or CSV.

Both formats are documented in docs/history.md; ``read_export`` reads either back
into the same records, exactly.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .records import Bin, Episode, Stretch
from .store import HistoryStore

FORMAT_NAME = "posture-export"
FORMAT_VERSION = 1
TABLES: dict[str, type] = {"episodes": Episode, "bins": Bin, "stretches": Stretch}
CSV_COLUMNS = ["table"] + sorted({f.name for cls in TABLES.values() for f in fields(cls)})


def collect(store: HistoryStore, since_s: float, until_s: float = math.inf) -> dict[str, list[Any]]:
    end = until_s if math.isfinite(until_s) else 1e12
    return {
        "episodes": [episode for _id, episode in store.episodes(since_s, end)],
        "bins": store.bins(since_s, end),
        "stretches": store.stretches(since_s, end),
    }


def to_json(data: dict[str, list[Any]]) -> str:
    body = {name: [asdict(r) for r in rows] for name, rows in data.items()}
    return json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, **body}, indent=1)


def to_csv(data: dict[str, list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for name, rows in data.items():
        for record in rows:
            row = {"table": name}
            for key, value in asdict(record).items():
                row[key] = "" if value is None else repr(value) if isinstance(value, float) else value
            writer.writerow(row)
    return out.getvalue()


class ExportError(ValueError):
    pass


def _convert(cls: type, raw: dict[str, Any]) -> Any:
    """A record from exported values (JSON values, or CSV strings)."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        value = raw.get(f.name)
        kind = str(f.type)
        if value in ("", None):
            values[f.name] = "" if kind == "str" else None
        elif kind == "bool":
            values[f.name] = value if isinstance(value, bool) else value == "True"
        elif kind.startswith("float"):
            values[f.name] = float(value)
        else:
            values[f.name] = str(value)
    return cls(**values)


def read_export(path: Path) -> dict[str, list[Any]]:
    text = path.read_text()
    out: dict[str, list[Any]] = {name: [] for name in TABLES}
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if data.get("format") != FORMAT_NAME:
            raise ExportError(f"{path} is not a posture export")
        for name, cls in TABLES.items():
            out[name] = [_convert(cls, row) for row in data.get(name, [])]
        return out
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name = row.get("table")
        if name not in TABLES:
            raise ExportError(f"{path}, line {line}: unknown table {name!r}")
        out[name].append(_convert(TABLES[name], row))
    return out


def write_export(text: str, path: Path | None) -> None:
    if path is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    path.write_text(text)
