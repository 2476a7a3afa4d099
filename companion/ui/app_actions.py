"""The app's session actions: calibration, guided stretches, nudges, settings, and
what attached viewers may ask (the typed interfaces of ui/services.py and
ui/control.py). Part of :class:`companion.ui.app.PostureApp`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import work

from ..coach.stretches import GuidedStretch, StretchKind, StretchPlan, StretchResult
from ..engine import CalibrationCompleted, CalibrationProgress, RecalibrationNeeded
from ..settings import Settings, SettingsError, save
from .calibration_screen import CalibrationScreen
from .messages import NudgeDue, PostureEvent

if TYPE_CHECKING:  # the state the app holds, declared for this part (app_state.py)
    from .app_state import AppState as _AppState
else:
    _AppState = object


class SessionActionsMixin(_AppState):
    """The services screens and viewers use (mixed into PostureApp, which holds the state)."""

    def _calibration_screen(self) -> CalibrationScreen | None:
        """The calibration screen when it is on top (and mounted), else None."""
        screen = self.screen_stack[-1] if self.screen_stack else None
        return screen if isinstance(screen, CalibrationScreen) and screen.is_mounted else None

    def on_posture_event(self, message: PostureEvent) -> None:
        event = message.event
        if (screen := self._calibration_screen()) is not None:
            screen.show_event(event)
        if isinstance(event, CalibrationCompleted):
            # The history writer stores it with the session's sensor (body_frames.py).
            if self.history is None:
                self.notify("Calibration not saved: the history is not being saved.", severity="warning")
            self._demo_wearer("calibration_over")
        elif isinstance(event, CalibrationProgress) and event.phase == "lean":
            self._demo_wearer("lean_forward")
        elif isinstance(event, RecalibrationNeeded):
            self.notify(
                escape(f"{event.reason}. Press c to recalibrate."), title="Recalibrate", severity="warning", timeout=10
            )

    def on_nudge_due(self, message: NudgeDue) -> None:
        nudge = message.nudge
        if self.control is not None:
            self.control.send_all(
                {"event": "nudge", "kind": nudge.kind, "title": nudge.title, "message": nudge.message}
            )
        self.notify(escape(nudge.message), title=nudge.title, severity="warning", timeout=10)
        if nudge.kind == "recalibrate":
            return
        if self.settings.nudges.bell:
            self.bell()
        if self.settings.nudges.desktop:
            self._desktop(nudge.title, nudge.message)
        if self.settings.nudges.vibrate and self.link is not None:
            self._vibrate(nudge.vibrate_level)

    @work(group="nudge", exit_on_error=False)
    async def _desktop(self, title: str, message: str) -> None:
        if await self.notifier.send(title, message):
            return
        # Not delivered on the desktop: the toast is already up; make sure it is heard.
        if not self.settings.nudges.bell:
            self.bell()
        notice = self.notifier.unavailable_notice()
        if notice:
            self.notify(escape(notice), title="Notifications", severity="warning", timeout=15)

    @work(group="nudge", exit_on_error=False)
    async def _vibrate(self, level: int) -> None:
        if self.link is not None:
            await self.link.alert(level)

    def start_calibration(self) -> None:
        self._record(*self.session.start_calibration())
        self._demo_wearer("sit_up")
        # A sensor with its own calibration (Upright GO) recalibrates with us.
        step = getattr(self.link.driver, "calibrate_step", None) if self.link is not None else None
        if step is not None:
            self._sensor_write(step())

    def cancel_calibration(self) -> None:
        self.session.engine.cancel_calibration()

    def start_stretch(self, plan: StretchPlan) -> GuidedStretch | None:
        frame = self.session.engine.frame
        if frame is None:
            self.notify("Calibrate first (c): the stretch is measured from your upright.", severity="warning")
            return None
        self._record(*self.session.end_episode_now())  # slouch detection rests during a stretch
        self.active_stretch = GuidedStretch(plan, frame.up)
        return self.active_stretch

    def finish_stretch(self, result: StretchResult, *, by_hand: bool) -> None:
        self.active_stretch = None
        self.session.engine.resume()
        self._demo_wearer("sit_up")
        if by_hand or result.seen_by_sensor:
            self._record(self.session.stretch_record(result, by_hand=by_hand))
        if result.kind is StretchKind.BALANCE_CHECK and result.seen_by_sensor:
            self._record(self.session.balance_record(result))

    def cancel_stretch(self) -> None:
        self.active_stretch = None
        self.session.engine.resume()
        self._demo_wearer("sit_up")

    def demo_follow_step(self, measure: str) -> None:
        """In the demo, the simulated wearer does what the stretch screen says."""
        if self.demo_world is None or measure == self._demo_step:
            return
        self._demo_step = measure
        wearer = self.demo_world.wearer
        moves = {"left": (0.0, 0.0, 45.0), "right": (0.0, 0.0, -38.0), "extension": (-10.0, 0.0, 0.0)}
        flexion, lateral, twist = moves.get(measure, (0.0, 0.0, 0.0))
        wearer.move_to(flexion, lateral, twist)

    @property
    def link_detail(self) -> str:
        return self._link_detail

    @property
    def stretching(self) -> str | None:
        return None if self.active_stretch is None else self.active_stretch.plan.kind.value

    def snooze_nudges(self, minutes: int | None) -> datetime:
        now = self.clock()
        until = self.session.policy.snooze(now, minutes)
        # The day only when it is not today; short enough for the side panel at 80x24.
        when = f"{until:%H:%M}" if until.date() == now.date() else f"{until:%a %H:%M}"
        self.live.show_nudge_status(f"nudges snoozed until {when}")
        self.notify(f"Nudges snoozed until {when}.")
        return until

    def resume_nudges(self) -> None:
        self.session.policy.resume()
        self.live.show_nudge_status("")
        self.notify("Nudges resumed.")

    def calibrate_from_viewer(self) -> str:
        self.action_calibrate()
        return ""

    def stretch_from_viewer(self, name: str) -> str:
        if self.session.engine.frame is None:
            return "calibrate first: a stretch is measured from your upright"
        self.action_stretch(name)
        return ""

    def reload_settings(self) -> str:
        from ..settings import load

        try:
            settings = load(self.settings_file)
        except SettingsError as exc:
            return str(exc)
        self.apply_settings(settings)
        self.notify("Settings changed in another window: applied.")
        return ""

    def stop_tracking(self) -> None:
        self.exit()

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.session.apply_settings(settings)
        self.notifier.enabled = settings.nudges.desktop
        self.live.set_thresholds(settings.posture.threshold_deg, settings.posture.clear_deg)

    def _save(self, settings: Settings) -> None:
        try:
            save(settings, self.settings_file)
        except (OSError, SettingsError) as exc:
            self.notify(escape(f"Settings not saved: {exc}"), severity="error")
            return
        self.settings = settings

    def _demo_wearer(self, movement: str) -> None:
        if self.demo_world is not None:
            getattr(self.demo_world.wearer, movement)()
