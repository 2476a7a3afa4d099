"""Screens reach the session only through the typed service interface."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from companion.settings import Settings
from companion.ui.app import PostureApp
from companion.ui.services import AppServices, NoServices, services_of

UI = Path(__file__).resolve().parent.parent / "companion" / "ui"


def test_no_type_ignore_anywhere_in_the_ui():
    found = [
        f"{path.name}:{n}"
        for path in sorted(UI.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "type: ignore" in line
    ]
    assert found == []


def test_screens_do_not_reach_into_app_attributes():
    """A screen asks ``services_of(self.app)``; only Textual's own app API is used directly."""
    allowed = {
        "push_screen",
        "pop_screen",
        "notify",
        "exit",
        "screen",
        "screen_stack",
        "bell",
        "call_after_refresh",
        "call_from_thread",
        "ENABLE_COMMAND_PALETTE",
    }
    for path in sorted(UI.glob("*_screen.py")):
        used = set(re.findall(r"self\.app\.(\w+)", path.read_text()))
        assert used <= allowed, (path.name, used - allowed)


def test_the_app_offers_the_services(tmp_path):
    app = PostureApp(settings=Settings(), settings_file=tmp_path / "settings.toml", history_path=tmp_path / "h.sqlite3")
    assert isinstance(app, AppServices)
    assert services_of(app) is app
    assert app.simulated is False


def test_an_app_without_the_services_is_named():
    with pytest.raises(NoServices, match="object does not offer"):
        services_of(object())
