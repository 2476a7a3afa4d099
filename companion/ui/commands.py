"""The command palette (Ctrl+P): every action of the app, by name, with its key."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.app import SystemCommand
from textual.binding import Binding

from ..coach.stretches import PLANS_BY_NAME


def app_commands(app) -> Iterator[SystemCommand]:
    yield SystemCommand("Help", "Every key of every screen (?)", app.action_help)
    yield SystemCommand("Calibrate", "Sit upright, then lean forward: sets your upright (c)", app.action_calibrate)
    yield SystemCommand("Stretch", "Pick a guided stretch (r)", app.action_stretch)
    for key, plan in PLANS_BY_NAME.items():
        yield SystemCommand(f"Stretch: {plan.title}", plan.summary, partial(app.action_stretch, key))
    yield SystemCommand("History", "Your days: timeline, episodes, stretches (h)", app.action_history)
    yield SystemCommand("Sensors", "Scan, connect, forget (n)", app.action_sensors)
    yield SystemCommand("Settings", "Thresholds, nudges, quiet hours (,)", app.action_settings)
    yield SystemCommand("Snooze nudges", "For 15, 30, 60 minutes or until tomorrow (z)", app.action_snooze)
    yield SystemCommand("Quiet mode", "Keep tracking without nudges, or nudge again (m)", app.action_quiet)
    if app.demo:
        for binding in app.DEMO_BINDINGS:
            assert isinstance(binding, Binding)
            yield SystemCommand(
                f"Demo: {binding.description.lower()}",
                f"The simulated wearer ({binding.key})",
                partial(app.run_action, binding.action),
            )
    yield SystemCommand("Quit", "Close the app (Ctrl+Q)", app.exit)
