"""The guided calibration: sit upright and still, then lean forward and hold."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Label, ProgressBar, Static

from ..engine import CalibrationCompleted, CalibrationProgress
from ..engine.events import EngineEvent
from .services import services_of
from .widgets import show_progress, show_text

STEPS = {
    "upright": "1/2  Sit upright, the way you want to sit, and hold still.",
    "lean": "2/2  Now lean forward slowly from the hips, about 20 degrees, and hold.",
    "done": "Calibrated. Your upright and forward directions are saved for this sensor.",
}


class CalibrationScreen(ModalScreen[bool]):
    """Shows the engine's calibration steps; dismissed with True when it completes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        # A screen of its own while it lasts (opaque, posture.tcss): the app's title
        # and this screen's keys stay in view.
        yield Header()
        yield Footer()
        with Vertical(id="calibration"):
            yield Label("Calibration", classes="panel-title")
            yield Static(STEPS["upright"], id="step")
            yield ProgressBar(total=100, show_eta=False, id="hold")
            yield Static("", id="feedback")
            yield Static("Esc cancels. The sensor can sit at any angle on your back.", classes="caption")

    def on_mount(self) -> None:
        services_of(self.app).start_calibration()

    def _widgets(self) -> tuple[Static, ProgressBar, Static] | None:
        """The step, the hold bar and the feedback; None while they are not in the
        screen (as the app shuts down and removes them, a snapshot may still come)."""
        try:
            return self.query_one("#step", Static), self.query_one(ProgressBar), self.query_one("#feedback", Static)
        except NoMatches:
            return None

    def show_status(self, status: tuple[str, float, float] | None) -> None:
        widgets = self._widgets()
        if status is None or widgets is None:
            return
        step, bar, feedback = widgets
        phase, held, needed = status
        # Called with every snapshot: only what changed is drawn again.
        show_text(step, STEPS.get(phase, ""))
        show_progress(bar, held / needed)
        if phase == "upright" and held > 0:
            show_text(feedback, f"Holding... {max(0.0, needed - held):.0f} s")

    def show_event(self, event: EngineEvent) -> None:
        if isinstance(event, CalibrationCompleted):
            self.set_timer(1.2, self._finish)
        widgets = self._widgets()
        if widgets is None:
            return
        step, bar, feedback = widgets
        if isinstance(event, CalibrationProgress):
            feedback.update(event.message)
            feedback.set_classes("alerted" if event.moving else "")
            if event.phase == "lean":
                step.update(STEPS["lean"])
        elif isinstance(event, CalibrationCompleted):
            step.update(STEPS["done"])
            bar.update(progress=100)
            feedback.update("")

    def _finish(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        services_of(self.app).cancel_calibration()
        self.dismiss(False)
