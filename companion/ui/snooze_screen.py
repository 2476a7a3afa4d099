"""Snooze nudges for a while, or switch quiet mode."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..coach.nudges import SNOOZE_CHOICES_MIN

CHOICES = [
    *((str(minutes), f"{minutes} minutes") for minutes in SNOOZE_CHOICES_MIN),
    ("tomorrow", "until tomorrow"),
    ("resume", "resume nudges now"),
]


class SnoozeScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="snooze"):
            yield Label("Snooze nudges", classes="panel-title")
            yield OptionList(*[Option(text, id=key) for key, text in CHOICES])
            yield Static("↑↓ pick · Enter chooses · Esc cancels", classes="caption")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
