"""Help: every key of every screen, read from the screens' own bindings so the
list cannot drift from what the keys do."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


def key_rows(app, bindings: list[BindingType]) -> list[tuple[str, str]]:
    """(keys, what) for each action; keys bound to the same action share a row."""
    rows: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        keys = [app.get_key_display(Binding(key.strip(), binding.action)) for key in binding.key.split(",")]
        known = rows.setdefault(binding.action, ([], binding.tooltip or binding.description))
        known[0].extend(key for key in keys if key not in known[0])
    return [(" / ".join(keys), what) for keys, what in rows.values()]


def sections(app) -> list[tuple[str, list[BindingType]]]:
    from .app import PostureApp
    from .calibration_screen import CalibrationScreen
    from .history_screen import HistoryScreen
    from .sensor_screen import SensorScreen
    from .settings_screen import SettingsScreen
    from .snooze_screen import SnoozeScreen
    from .stretch_screen import StretchScreen
    from .viewer import ViewerApp

    if isinstance(app, ViewerApp):  # a viewer of the tracker: its own keys, then the screens it opens
        found: list[tuple[str, list[BindingType]]] = [("Viewer", list(ViewerApp.BINDINGS))]
    else:
        found = [("Live screen", list(PostureApp.BINDINGS))]
    if getattr(app, "demo", False):
        found.append(("Demo: the simulated wearer", list(PostureApp.DEMO_BINDINGS)))
    found += [
        ("Calibration (c)", CalibrationScreen.BINDINGS),
        ("Stretch (r)", [*StretchScreen.BINDINGS, Binding("enter", "pick", "Start the highlighted stretch")]),
        ("History (h)", [*HistoryScreen.BINDINGS, Binding("up,down", "row", "Pick an episode")]),
        ("Sensors (n)", SensorScreen.BINDINGS),
        (
            "Settings (,)",
            [
                *SettingsScreen.BINDINGS,
                Binding("tab,shift+tab", "field", "Next / previous field"),
                Binding("space", "toggle", "Switch a setting on or off"),
            ],
        ),
        (
            "Snooze (z)",
            [
                Binding("up,down", "move", "Pick a choice"),
                Binding("enter", "pick", "Snooze / resume"),
                *SnoozeScreen.BINDINGS,
            ],
        ),
    ]
    return found


class HelpScreen(ModalScreen[None]):
    """Opened with ? or F1 on any screen; Esc, ? or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q,f1", "close", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("Keys", style="bold"), classes="panel-title")
            if self.app.ENABLE_COMMAND_PALETTE:
                yield Static(
                    "Ctrl+P opens the command palette: type a few letters of what you want "
                    "(calibrate, stretch, snooze, ...).",
                    classes="caption",
                )
            for title, bindings in sections(self.app):
                table = Table.grid(padding=(0, 2))
                table.add_column(width=16, style="bold")
                table.add_column()
                for keys, what in key_rows(self.app, bindings):
                    table.add_row(keys, what)
                yield Static(title, classes="panel-title")
                yield Static(table)
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)
