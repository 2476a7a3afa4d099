"""Guided stretches and the balance check, measured live by the sensor."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from ..coach.stretches import (
    NOT_MEDICAL,
    PLANS_BY_NAME,
    GuidedStretch,
    StretchResult,
)
from .services import services_of
from .widgets import show_progress, show_text


class StretchScreen(ModalScreen[StretchResult | None]):
    """Pick a stretch, follow its steps; the app feeds the sensor's readings in."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop / close"),
        Binding("enter", "close_result", "Close the result", show=False),
        Binding("d", "done_by_hand", "Mark done by hand"),
    ]

    def __init__(self, kind: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.guided: GuidedStretch | None = None
        self.result: StretchResult | None = None

    def compose(self) -> ComposeResult:
        # A screen of its own while it lasts (opaque, posture.tcss): the app's title
        # and this screen's keys stay in view.
        yield Header()
        yield Footer()
        with Vertical(id="stretch"):
            yield Label("Stretch", id="stretch-title", classes="panel-title")
            yield OptionList(
                *[Option(f"{plan.title}: {plan.summary}", id=key) for key, plan in PLANS_BY_NAME.items()],
                id="stretch-choice",
            )
            yield Static("↑↓ pick · Enter starts · Esc closes", id="stretch-hint", classes="caption")
            yield Static("", id="stretch-step")
            yield Static("", id="stretch-variant", classes="caption")
            yield ProgressBar(total=100, show_eta=False, id="stretch-progress")
            yield Static("", id="stretch-measure")
            yield Static(NOT_MEDICAL, classes="caption")

    _STEP_PARTS = ("#stretch-step", "#stretch-variant", "#stretch-measure")

    def on_mount(self) -> None:
        # While choosing, only the choice: the step's parts are empty until it starts.
        self.query_one(ProgressBar).display = False
        for part in self._STEP_PARTS:
            self.query_one(part).display = False
        if self.kind is not None:
            self._start(self.kind)
        self.set_interval(0.25, self._refresh)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._start(event.option.id)

    def _start(self, key: str) -> None:
        plan = PLANS_BY_NAME[key]
        guided = services_of(self.app).start_stretch(plan)
        if guided is None:
            self.dismiss(None)
            return
        self.guided = guided
        self.query_one(OptionList).display = False
        self.query_one("#stretch-hint").display = False
        self.query_one(ProgressBar).display = True
        for part in self._STEP_PARTS:
            self.query_one(part).display = True
        self.query_one("#stretch-title", Label).update(plan.title)
        self.query_one("#stretch-variant", Static).update(plan.tender_variant)

    def _refresh(self) -> None:
        guided = self.guided
        if guided is None or self.result is not None:
            return
        services = services_of(self.app)
        now = services.sensor_time_s()
        current = guided.step_at(now)
        if current is None:
            self._finish(now)
            return
        index, step, left_s = current
        show_text(
            self.query_one("#stretch-step", Static),
            f"Step {index + 1} of {len(guided.plan.steps)}: {step.text}  ({left_s:.0f} s)",
        )
        show_progress(self.query_one(ProgressBar), (step.seconds - left_s) / step.seconds)
        services.demo_follow_step(step.measure)
        parts = []
        if guided.left_deg is not None or step.measure in ("left", "right"):
            parts.append(f"turn left {guided.left_deg or 0:.0f}°   turn right {guided.right_deg or 0:.0f}°")
        if guided.extension_deg is not None:
            parts.append(f"back extension {guided.extension_deg:.0f}°")
        show_text(self.query_one("#stretch-measure", Static), "   ".join(parts))

    def _finish(self, now: float) -> None:
        assert self.guided is not None
        self.result = self.guided.result(now)
        services_of(self.app).finish_stretch(self.result, by_hand=False)
        lines = [
            "Done: the sensor saw it. Enter or Esc closes."
            if self.result.seen_by_sensor
            else "The sensor did not see this stretch done. Press d if you did it anyway, Esc to close."
        ]
        if self.result.extension_deg is not None:
            lines.append(f"Back extension {self.result.extension_deg:.0f}°.")
        if self.result.left_deg is not None:
            lines.append(self.result.balance_text())
        if self.result.lateral_rest_deg is not None:
            lines.append(self.result.rest_lean_text())
        self.query_one("#stretch-step", Static).update("\n".join(lines))
        self.query_one("#stretch-variant", Static).update("")
        self.query_one(ProgressBar).update(progress=100)
        self.refresh_bindings()  # "d" is offered now, if the sensor did not see it
        # The result stays until dismissed: it is what the person came for.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ "Mark done by hand" only where it does something: a result the sensor did
        not see (the footer leaves it out otherwise)."""
        if action == "done_by_hand":
            return self.result is not None and not self.result.seen_by_sensor
        return True

    def action_close_result(self) -> None:
        if self.result is not None:
            self.dismiss(self.result)

    def action_done_by_hand(self) -> None:
        if self.result is not None and not self.result.seen_by_sensor:
            services_of(self.app).finish_stretch(self.result, by_hand=True)
            self.notify("Recorded as done by hand.")
            self.dismiss(self.result)

    def action_stop(self) -> None:
        if self.result is None and self.guided is not None:
            services_of(self.app).cancel_stretch()
        self.dismiss(self.result)
