"""One error family: every companion error is a PostureError, Bleak errors stop at the
link, and the CLI turns each into one line and the exit status docs/cli.md gives."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import companion
from companion import cli, errors

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def companion_error_classes() -> list[type[BaseException]]:
    """Every exception class defined in a production module of the companion."""
    found = []
    for info in pkgutil.walk_packages(companion.__path__, "companion."):
        if info.name.startswith("companion.sim") or info.name in ("companion.__main__",):
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found.append(value)
    return found


def test_every_error_the_companion_defines_is_a_posture_error():
    """Except the wire protocol's (a driver's bad frame): those never leave the link."""
    from firmware_protocol import ProtocolError

    classes = companion_error_classes()
    assert len(classes) >= 15
    roots = sorted(c.__qualname__ for c in classes if not issubclass(c, errors.PostureError | ProtocolError))
    assert roots == []


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("companion.settings.SettingsError", ValueError),
        ("companion.engine.SettingError", ValueError),
        ("companion.coach.plan.PlanError", ValueError),
        ("companion.recording.RecordingError", ValueError),
        ("companion.engine.CalibrationError", ValueError),
        ("companion.history.export.ExportError", ValueError),
        ("companion.tracker.client.NoTracker", ConnectionError),
        ("companion.errors.BluetoothUnavailable", OSError),
        ("companion.errors.SensorNotFound", LookupError),
        ("companion.errors.LinkLost", ConnectionError),
    ],
)
def test_each_error_also_is_the_builtin_a_caller_would_catch(name, builtin):
    module, _, attr = name.rpartition(".")
    cls = getattr(importlib.import_module(module), attr)
    assert issubclass(cls, errors.PostureError) and issubclass(cls, builtin)


def test_existing_errors_join_the_family_by_meaning():
    from companion.coach.plan import PlanError
    from companion.engine import CalibrationError, SettingError
    from companion.history import HistoryCorrupt, HistoryError, HistoryReadOnly
    from companion.recording import RecordingError
    from companion.settings import SettingsError

    assert all(issubclass(c, errors.SettingsInvalid) for c in (SettingsError, SettingError, PlanError))
    assert all(issubclass(c, errors.RecordingInvalid) for c in (RecordingError, CalibrationError))
    assert all(issubclass(c, errors.HistoryUnavailable) for c in (HistoryError, HistoryCorrupt, HistoryReadOnly))


def documented_statuses() -> dict[str, int]:
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|", DOCS.read_text(), re.M)
    return {name: int(status) for status, name in rows}


FAMILY = [
    errors.PostureError,
    errors.SensorNotFound,
    errors.BluetoothUnavailable,
    errors.LinkLost,
    errors.RecordingInvalid,
    errors.HistoryUnavailable,
    errors.SettingsInvalid,
    errors.UsageError,
]


def test_docs_table_gives_every_class_of_the_family_its_status():
    from companion.tracker.client import NoTracker

    table = documented_statuses()
    for cls in [*FAMILY, NoTracker]:
        assert table.get(cls.__name__) == cls.exit_status, cls


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_the_cli_prints_one_line_and_the_documented_status(cls, monkeypatch, capsys):
    def failing(args, out):
        raise cls("the sensor wandered off\nwith a second line that must not be a traceback")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    args = parser.parse_args(["report"])
    monkeypatch.setattr(parser, "parse_args", lambda argv=None: args)
    monkeypatch.setattr(cli, "resolve", lambda handler: failing)
    code = cli.main(["report"])
    err = capsys.readouterr().err
    assert code == documented_statuses()[cls.__name__]
    assert err.startswith("posture: the sensor wandered off") and "Traceback" not in err


async def test_a_failed_scan_reaches_callers_as_bluetooth_unavailable(monkeypatch):
    from bleak import BleakScanner
    from bleak.exc import BleakError

    from companion.ble.transport import BleTransport
    from companion.link import scan

    def no_adapter(*args, **kwargs):
        raise BleakError("No Bluetooth adapters found.")

    # The scan opens a scanner and starts it (it can stop as soon as the wanted sensor shows).
    monkeypatch.setattr(BleakScanner, "__init__", no_adapter)
    with pytest.raises(errors.BluetoothUnavailable, match="No Bluetooth adapters") as caught:
        await scan(BleTransport.system(), 0.1)
    assert isinstance(caught.value, errors.SensorNotFound) and isinstance(caught.value.__cause__, BleakError)


def test_posture_scan_without_bluetooth_is_one_line_and_status_1(monkeypatch, capsys):
    from bleak import BleakScanner

    async def switched_off(*args, **kwargs):
        raise OSError(19, "No such device")

    monkeypatch.setattr(BleakScanner, "discover", switched_off)
    assert cli.main(["scan", "--timeout", "0.1"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Bluetooth is not available" in err


def test_the_ui_and_cli_no_longer_handle_bleak_errors_themselves():
    root = Path(companion.__file__).parent
    for path in [*root.glob("ui/*.py"), *root.glob("cli*.py")]:
        assert "BleakError" not in path.read_text(), path
