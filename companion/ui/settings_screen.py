"""Settings: edits the same TOML file the app reads; bad values name key and range."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, Switch

from ..engine import DELAY_CHOICES_S
from ..settings import Settings, SettingsError, save, with_value
from .services import services_of

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
    ("nudges.tracking_mode", "Tracking mode: record silently, no nudges", "bool"),
    ("breaks.sit_minutes", "Stretch prompt after sitting for (min, 10-180)", "int"),
    ("quiet_hours.start", "Quiet hours from (HH:MM, empty: none)", "time"),
    ("quiet_hours.end", "Quiet hours until (HH:MM)", "time"),
]


def _get(settings: Settings, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(settings, section), key)


def _widget_id(dotted: str) -> str:
    return "field-" + dotted.replace(".", "-")


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def problem(exc: SettingsError) -> str:
    """What is wrong, without the file's section and key (the label is beside it)."""
    message = str(exc)
    if " is not allowed: " in message:
        value, allowed = message.split(" = ", 1)[-1].split(" is not allowed: ", 1)
        return f"{value.strip(chr(39))} is not allowed: {allowed}"
    return message.split("] ", 1)[-1]


class DiscardScreen(ModalScreen[str]):
    """Esc with unsaved edits: save them, discard them, or keep editing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "dismiss('save')", "Save"),
        Binding("d", "dismiss('discard')", "Discard"),
        Binding("escape,k", "dismiss('keep')", "Keep editing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="discard"):
            yield Label("Unsaved changes", classes="panel-title")
            yield Static("s saves them, d discards them, Esc keeps editing.")
            with Horizontal(id="discard-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Discard", id="discard-button", variant="error")
                yield Button("Keep editing", id="keep")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"save": "save", "discard-button": "discard"}.get(event.button.id or "", "keep"))


class SettingsScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Save"), Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        services = services_of(self.app)
        settings = services.settings
        yield Header()
        with VerticalScroll(id="settings"):
            yield Static(f"Editing {services.settings_file}", classes="caption")
            yield Static("", id="settings-error")
            for dotted, label, kind in FIELDS:
                value = _get(settings, dotted)
                wid = _widget_id(dotted)
                with Horizontal(classes="setting-row"):
                    yield Label(label, classes="setting-label")
                    if kind == "bool":
                        yield Switch(value=value, id=wid)
                        yield Label("on" if value else "off", id=f"{wid}-state", classes="switch-state")
                    elif kind == "delay":
                        yield Select(
                            [(f"{d} s", d) for d in DELAY_CHOICES_S], value=int(value), allow_blank=False, id=wid
                        )
                    else:
                        yield Input(value=_shown(value), id=wid, select_on_focus=True)
                yield Static("", id=f"{wid}-error", classes="field-error")
            yield Button("Save", id="save", variant="primary")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._show(services_of(self.app).settings)

    _asking = False  # the discard question is open over this screen

    def on_screen_resume(self) -> None:
        """The screen is kept between visits: show the settings as they are now
        (but keep the edits when coming back from the discard question)."""
        if self._asking:
            self._asking = False
            return
        self._show(services_of(self.app).settings)

    def _show(self, settings: Settings) -> None:
        for dotted, _label, kind in FIELDS:
            wid = f"#{_widget_id(dotted)}"
            value = _get(settings, dotted)
            if kind == "bool":
                self.query_one(wid, Switch).value = value
            elif kind == "delay":
                self.query_one(wid, Select).value = int(value)
            else:
                self.query_one(wid, Input).value = _shown(value)
        self._clear_errors()
        self.query_one("#settings").scroll_home(animate=False)
        first = self.query_one(f"#{_widget_id(FIELDS[0][0])}", Input)
        first.focus()
        first.selection = type(first.selection)(0, len(first.value))  # typing replaces the value

    def on_input_changed(self, event: Input.Changed) -> None:
        """An edited field drops the error shown under it: it described the old value."""
        if event.input.id:
            with contextlib.suppress(NoMatches):
                field_error = self.query_one(f"#{event.input.id}-error", Static)
                field_error.update("")
                field_error.display = False

    def on_switch_changed(self, event: Switch.Changed) -> None:
        if event.switch.id:
            self.query_one(f"#{event.switch.id}-state", Label).update("on" if event.value else "off")

    def _clear_errors(self) -> None:
        self.query_one("#settings-error", Static).update("")
        self.query_one("#settings-error", Static).set_classes("")
        self.query_one("#settings-error", Static).display = False
        for dotted, _label, _kind in FIELDS:
            field_error = self.query_one(f"#{_widget_id(dotted)}-error", Static)
            field_error.update("")
            field_error.display = False

    def edited(self) -> bool:
        """Whether any field differs from the settings in force."""
        settings = services_of(self.app).settings
        for dotted, _label, kind in FIELDS:
            current = _get(settings, dotted)
            read = self._read(dotted, kind)
            if kind in ("bool", "delay"):
                if read != (int(current) if kind == "delay" else current):
                    return True
            elif str(read) != _shown(current) and read != current:
                return True
        return False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def _read(self, dotted: str, kind: str) -> Any:
        wid = f"#{_widget_id(dotted)}"
        if kind == "bool":
            return self.query_one(wid, Switch).value
        if kind == "delay":
            return self.query_one(wid, Select).value
        text = self.query_one(wid, Input).value.strip()
        if kind in ("float", "int"):
            try:
                number = float(text)
            except ValueError:
                return text  # the settings check names the key and the range
            return int(number) if kind == "int" and number.is_integer() else number
        return text

    def action_save(self) -> bool:
        """Check every field, then write the file; on a bad value nothing is written."""
        services = services_of(self.app)
        settings = services.settings
        self._clear_errors()
        try:
            for dotted, _label, kind in FIELDS:
                settings = with_value(settings, dotted, self._read(dotted, kind))
            path = save(settings, services.settings_file)
        except SettingsError as exc:
            self._show_error(exc)
            return False
        except OSError as exc:
            error = self.query_one("#settings-error", Static)
            error.update(Text(f"Could not save: {exc}"))
            error.set_classes("alerted")
            error.display = True
            self.notify(escape(f"Settings not saved: {exc}"), title="Settings not saved", severity="error", timeout=10)
            return False
        services.apply_settings(settings)
        self.notify(escape(f"Saved to {path}"))
        self.app.pop_screen()
        return True

    def _show_error(self, exc: SettingsError) -> None:
        labels = {dotted: label for dotted, label, _kind in FIELDS}
        label = labels.get(exc.key)
        what = problem(exc)
        if label is None:  # a rule across fields, e.g. quiet hours need both ends
            error = self.query_one("#settings-error", Static)
            error.update(Text(what))
            error.set_classes("alerted")
            error.display = True
            self.notify(escape(f"Not saved: {what}"), severity="error", timeout=10)
            return
        widget = self.query_one(f"#{_widget_id(exc.key)}")
        if isinstance(widget, Input) and " is not allowed: " in what:
            what = f"{widget.value.strip() or 'empty'} is not allowed: {what.split(' is not allowed: ', 1)[1]}"
        field_error = self.query_one(f"#{_widget_id(exc.key)}-error", Static)
        field_error.update(Text(what))
        field_error.display = True
        widget.focus()
        self.call_after_refresh(field_error.scroll_visible, animate=False)
        self.notify(
            escape(f"{label.split(' (')[0]}: {what}. Nothing was saved."),
            title="Settings",
            severity="error",
            timeout=10,
        )

    def action_back(self) -> None:
        if not self.edited():
            self.app.pop_screen()
            return

        def chosen(choice: str | None) -> None:
            if choice == "save":
                self.action_save()
            elif choice == "discard":
                self._show(services_of(self.app).settings)
                self.app.pop_screen()

        self._asking = True
        self.app.push_screen(DiscardScreen(), chosen)
