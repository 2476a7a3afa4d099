"""Every settings error is one message naming the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion import cli
from companion.settings import SettingsError, load


@pytest.fixture
def settings_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POSTURE_HOME", str(tmp_path))
    path = tmp_path / "config" / "settings.toml"
    path.parent.mkdir(parents=True)
    return path


def load_error(path: Path) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        load(path)
    return caught.value


def test_invalid_utf8_names_the_file_and_line(settings_file):
    settings_file.write_bytes(b"[posture]\nthreshold_deg = 12 # \xff\n")
    error = load_error(settings_file)
    assert str(settings_file) in str(error) and "line 2" in str(error) and "UTF-8" in str(error)


def test_deeply_nested_toml_is_refused_in_one_line(settings_file):
    settings_file.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    error = load_error(settings_file)
    assert str(settings_file) in str(error) and "nested" in str(error)


def test_an_unknown_sensor_kind_is_refused_at_load_with_the_known_kinds(settings_file):
    settings_file.write_text('[sensor]\naddress = "AA:BB:CC:DD:EE:FF"\nkind = "bogus"\n')
    error = load_error(settings_file)
    message = str(error)
    assert str(settings_file) in message and "kind = 'bogus'" in message and "reference" in message
    assert error.key == "sensor.kind"


@pytest.mark.parametrize(
    "text, key",
    [
        ('[sensor]\naddress = 12\nkind = "reference"\n', "sensor.address"),
        ('[sensor]\nkind = "reference"\n', "sensor.address"),
        ("[nudges]\nminutes_between = 1\n", "nudges.minutes_between"),
        ('[nudges]\nbell = "yes"\n', "nudges.bell"),
        ('[quiet_hours]\nstart = "25:00"\nend = "07:00"\n', "quiet_hours.start"),
    ],
    ids=["address-number", "address-missing", "minutes-range", "bell-text", "quiet-time"],
)
def test_bad_values_name_their_key(settings_file, text, key):
    settings_file.write_text(text)
    error = load_error(settings_file)
    assert error.key == key and str(settings_file) in str(error)
    assert key.split(".")[1] in str(error)


@pytest.mark.parametrize(
    "content",
    [
        b"[posture]\nthreshold_deg = 12 # \xff\n",
        ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode(),
        b'[sensor]\naddress = "AA"\nkind = "bogus"\n',
        b"[posture\n",
    ],
    ids=["not-utf8", "nested", "bogus-kind", "bad-toml"],
)
def test_the_cli_gives_one_line_and_status_2(settings_file, capsys, content, monkeypatch):
    settings_file.write_bytes(content)
    ran = []
    monkeypatch.setattr("companion.ui.app.PostureApp.run", lambda self, *a, **k: ran.append(self))
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(settings_file) in err and "Traceback" not in err
    assert not ran
