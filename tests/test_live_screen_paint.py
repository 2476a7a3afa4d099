"""The live screen repaints what changed, and lays the screen out again only when a
panel's shape changes: a layout pass costs the whole screen, several times a second,
all day. Counted, not timed: speed goals live in ``python -m benchmarks``."""

from __future__ import annotations

import asyncio

import pytest
from test_ui import calibrate_demo_sensor, demo_app, state_line, wait_for
from textual.widget import Widget
from textual.widgets import Static

from companion.ui.calibration_screen import CalibrationScreen
from companion.ui.widgets import PostureFigure, TiltGauge, show_text

PANELS = ("today", "state", "lateral", "goal", "connection")


def test_show_text_skips_the_same_text_and_lays_out_only_for_a_new_shape(monkeypatch):
    calls: list[tuple[str, bool]] = []
    monkeypatch.setattr(Static, "update", lambda self, content="", *, layout=True: calls.append((content, layout)))
    widget = Static("tracked 01:56\nalerts 1")
    show_text(widget, "tracked 01:56\nalerts 1")
    show_text(widget, "tracked 01:57\nalerts 1")
    show_text(widget, "tracked 01:57\nalerts 1\nreconnected 1×")
    show_text(widget, "tracked 1h02\nalerts 10")
    assert calls == [
        ("tracked 01:57\nalerts 1", False),
        ("tracked 01:57\nalerts 1\nreconnected 1×", True),
        ("tracked 1h02\nalerts 10", True),
    ]


@pytest.fixture
def updates(monkeypatch) -> list[tuple[str | None, bool]]:
    """(widget id, layout) of every Static.update while the test runs."""
    seen: list[tuple[str | None, bool]] = []
    update = Static.update

    def recording(self, content="", *, layout=True):
        seen.append((self.id, layout))
        update(self, content, layout=layout)

    monkeypatch.setattr(Static, "update", recording)
    return seen


def test_a_steady_wearer_repaints_the_panels_without_laying_the_screen_out(virtual_time, monkeypatch, updates):
    drawings: list[str | None] = []
    refresh = Widget.refresh

    def counting(self, *args, **kwargs):
        if isinstance(self, PostureFigure | TiltGauge):
            drawings.append(self.id)
        return refresh(self, *args, **kwargs)

    monkeypatch.setattr(Widget, "refresh", counting)
    snapshots: list[float] = []

    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: state_line(app) == "upright")
            await asyncio.sleep(2)
            updates.clear()
            drawings.clear()
            show = app.live.show_snapshot
            app.live.show_snapshot = lambda snapshot, *rest: (snapshots.append(snapshot.t_s), show(snapshot, *rest))
            await asyncio.sleep(30)

    virtual_time(scenario())
    painted = [panel for panel, _ in updates if panel in PANELS]
    laid_out = [panel for panel, layout in updates if panel in PANELS and layout]
    assert painted.count("today") >= 25  # the tracked time moves on every second
    assert len(laid_out) <= 2, laid_out
    # The figure and the gauge move when their picture does, not with every
    # snapshot's sensor noise.
    assert len(snapshots) >= 100
    assert len(drawings) < len(snapshots) / 4, (len(drawings), len(snapshots))


def test_the_calibration_screen_lays_out_when_its_step_changes_not_with_every_snapshot(virtual_time, updates):
    async def scenario():
        app = demo_app()  # not calibrated: the calibration opens by itself
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: isinstance(app.screen, CalibrationScreen), timeout_s=5)
            updates.clear()
            await asyncio.sleep(3)  # the upright step: ~30 snapshots
            assert isinstance(app.screen, CalibrationScreen)

    virtual_time(scenario())
    laid_out = [widget for widget, layout in updates if widget in ("step", "feedback") and layout]
    assert len(laid_out) <= 2, laid_out
