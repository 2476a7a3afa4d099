"""Settings: edits the same TOML file the app reads; bad values name key and range."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, Switch

from ..engine import DELAY_CHOICES_S
from ..settings import Settings, SettingsError, save, with_value

# (dotted key, label, kind)
FIELDS: list[tuple[str, str, str]] = [
    ("posture.threshold_deg", "Slouch threshold (deg beyond upright, 5-40)", "float"),
    ("posture.delay_s", "Alert after slouching for (s)", "delay"),
    ("posture.lateral_threshold_deg", "Side-lean threshold (deg, 5-40)", "float"),
    ("nudges.minutes_between", "At most one nudge every (min, 5-240)", "int"),
    ("nudges.bell", "Terminal bell", "bool"),
    ("nudges.desktop", "Desktop notification", "bool"),
    ("nudges.vibrate", "Vibrate the sensor (where it can)", "bool"),
    ("nudges.training_mode", "Training mode: nudge every time", "bool"),
    ("breaks.sit_minutes", "Stretch prompt after sitting for (min, 10-180)", "int"),
    ("quiet_hours.start", "Quiet hours from (HH:MM, empty: none)", "time"),
    ("quiet_hours.end", "Quiet hours until (HH:MM)", "time"),
]


def _get(settings: Settings, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(settings, section), key)


def _widget_id(dotted: str) -> str:
    return "field-" + dotted.replace(".", "-")


class SettingsScreen(Screen):
    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        yield Header()
        with VerticalScroll(id="settings"):
            yield Static(f"Editing {self.app.settings_file}", classes="caption")  # type: ignore[attr-defined]
            with Grid(id="settings-grid"):
                for dotted, label, kind in FIELDS:
                    yield Label(label)
                    value = _get(settings, dotted)
                    wid = _widget_id(dotted)
                    if kind == "bool":
                        yield Switch(value=value, id=wid)
                    elif kind == "delay":
                        yield Select([(f"{d} s", d) for d in DELAY_CHOICES_S], value=int(value), allow_blank=False, id=wid)
                    else:
                        yield Input(value=f"{value:g}" if isinstance(value, float) else str(value), id=wid)
            yield Static("", id="settings-error")
            yield Button("Save", id="save", variant="primary")
        yield Footer()

    def on_screen_resume(self) -> None:
        """The screen is kept between visits: show the settings as they are now."""
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        for dotted, _label, kind in FIELDS:
            widget = self.query_one(f"#{_widget_id(dotted)}")
            value = _get(settings, dotted)
            if kind == "bool":
                widget.value = value  # type: ignore[attr-defined]
            elif kind == "delay":
                widget.value = int(value)  # type: ignore[attr-defined]
            else:
                widget.value = f"{value:g}" if isinstance(value, float) else str(value)  # type: ignore[attr-defined]
        self.query_one("#settings-error", Static).update("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def _read(self, dotted: str, kind: str) -> Any:
        widget = self.query_one(f"#{_widget_id(dotted)}")
        if kind == "bool":
            return widget.value  # type: ignore[attr-defined]
        if kind == "delay":
            return widget.value  # type: ignore[attr-defined]
        text = widget.value.strip()  # type: ignore[attr-defined]
        if kind in ("float", "int"):
            try:
                number = float(text)
            except ValueError:
                return text  # the settings check names the key and the range
            return int(number) if kind == "int" and number.is_integer() else number
        return text

    def action_save(self) -> None:
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        error = self.query_one("#settings-error", Static)
        try:
            for dotted, _label, kind in FIELDS:
                settings = with_value(settings, dotted, self._read(dotted, kind))
            path = save(settings, self.app.settings_file)  # type: ignore[attr-defined]
        except SettingsError as exc:
            error.update(Text(str(exc)))
            error.set_classes("alerted")
            self.notify(escape(str(exc)), title="Settings not saved", severity="error", timeout=10)
            if exc.key:
                try:
                    self.query_one(f"#{_widget_id(exc.key)}").focus()
                except Exception:
                    pass
            return
        except OSError as exc:
            error.update(Text(f"Could not save: {exc}"))
            error.set_classes("alerted")
            self.notify(escape(f"Could not save: {exc}"), title="Settings not saved", severity="error", timeout=10)
            return
        error.update("")
        self.app.apply_settings(settings)  # type: ignore[attr-defined]
        self.notify(f"Saved to {path}")
        self.app.pop_screen()

    def action_back(self) -> None:
        self.app.pop_screen()
