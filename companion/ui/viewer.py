"""The app as a viewer of a running tracker (or of a window that tracks): the live
screen, the history, stretches and settings, fed from the control socket. Closing
it leaves tracking running.

It holds no link, engine or history writer; every action is a tracker command.
The settings screen works through the same typed interface as in the tracking
window (:class:`companion.ui.services.AppServices`): saving writes the file and
asks the tracker to read it again.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..coach import DayTally
from ..coach.stretches import PLANS_BY_NAME, GuidedStretch, StretchPlan, StretchResult
from ..engine import Activity, EngineState, PostureSnapshot
from ..history.store import default_path as default_history_path
from ..history.today import habit_today, recent_flexion
from ..link import FoundSensor, LinkState, LinkStats
from ..plan_file import load_plan
from ..settings import Settings, load, settings_path
from ..tracker.client import AsyncTrackerClient, NoTracker
from .history_screen import HistoryScreen
from .live_screen import LiveScreen
from .settings_screen import SettingsScreen
from .widgets import FlexionChart

SNOOZE_MIN = 30
HABIT_REFRESH_S = 60.0


def snapshot_from(status: dict[str, Any]) -> PostureSnapshot:
    state = EngineState.PAUSED if status["state"] == "paused" else EngineState(status["engine_state"])
    return PostureSnapshot(
        status.get("t_s", 0.0),
        status.get("flexion_deg"),
        status.get("lateral_deg"),
        Activity(status["activity"]),
        state,
        status.get("held_s", 0.0),
        status.get("delay_s", 30.0),
    )


def tally_from(status: dict[str, Any]) -> DayTally:
    today = status["today"]
    t_s = status.get("t_s", 0.0)
    return DayTally(
        tracked_s=today["tracked_s"],
        upright_s=today["upright_s"],
        slouched_s=today["slouched_s"],
        moving_s=today.get("moving_s", 0.0),
        episodes=today["episodes"],
        alerts=today["alerts"],
        alerts_held_back=today.get("alerts_held_back", 0),
        lean_alerts=today.get("lean_alerts", 0),
        sitting_since_s=(t_s - today["sitting_for_s"]) if today.get("sitting_for_s") else None,
    )


class ViewerApp(App):
    CSS_PATH = Path(__file__).parent / "posture.tcss"
    TITLE = "posture"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "calibrate", "Calibrate"),
        Binding("p", "pause", "Pause", tooltip="Pause tracking, or resume it"),
        Binding("z", "snooze", "Snooze", tooltip=f"Snooze nudges for {SNOOZE_MIN} minutes"),
        Binding("r", "stretch", "Stretch"),
        Binding("h", "history", "History"),
        Binding("comma", "settings", "Settings"),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Close this window; tracking goes on"),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, socket_file: Path | None = None) -> None:
        super().__init__()
        self.socket_file = socket_file
        self.history_path = default_history_path()
        self.live = LiveScreen()
        self.client: AsyncTrackerClient | None = None
        self.status: dict[str, Any] | None = None
        self.attached = False
        self.settings_file = settings_path()
        self.settings: Settings = load(self.settings_file)

    async def on_mount(self) -> None:
        await self.push_screen(self.live)
        self._show_thresholds()
        self.sub_title = "attaching to the tracker..."
        self._follow()

    def _show_thresholds(self) -> None:
        """The gauge's bands from the settings the tracker reads (the same file)."""
        self.live.set_thresholds(self.settings.posture.threshold_deg, self.settings.posture.clear_deg)

    def action_help(self) -> None:
        from .help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    @work(exclusive=True, group="tracker", exit_on_error=False)
    async def _follow(self) -> None:
        try:
            client = await AsyncTrackerClient.connect(self.socket_file)
            self.client = client
            await client.send("subscribe", rate_hz=10)
        except NoTracker as exc:
            self.exit(return_code=3, message=f"posture: {exc}")
            return
        self.attached = True
        if client.hello.get("history"):  # the tracker's own store (a simulated one keeps its own)
            self.history_path = Path(client.hello["history"])
        self._seed_chart()
        self._refresh_habit()
        self.set_interval(HABIT_REFRESH_S, self._refresh_habit)
        # Short enough for the header at 80 columns; help says quitting leaves it running.
        self.sub_title = f"viewing the tracker (pid {client.hello.get('pid')})"
        async for message in client.messages():
            self._on_tracker_message(message)
        self.attached = False
        self.sub_title = "the tracker stopped"
        self.notify("The tracker stopped: nothing is being tracked now.", severity="error", timeout=30)

    @work(thread=True, group="chart", exit_on_error=False)
    def _seed_chart(self) -> None:
        """The chart's last minutes as the tracker stored them, ahead of what it sends
        (a thread: it reads SQLite)."""
        now = time.time()
        points = recent_flexion(self.history_path, now - FlexionChart.WINDOW_S)
        with contextlib.suppress(RuntimeError):  # the viewer is already gone
            self.call_from_thread(self.live.seed_chart, points, now)

    @work(exclusive=True, thread=True, group="habit", exit_on_error=False)
    def _refresh_habit(self) -> None:
        """The goal, score and streak from the tracker's history (read-only)."""
        from datetime import date

        habit = habit_today(self.history_path, date.today(), load_plan()[0])
        with contextlib.suppress(RuntimeError):  # the viewer is already gone
            self.call_from_thread(self.live.show_habit, habit)

    def _on_tracker_message(self, message: dict[str, Any]) -> None:
        status = message.get("status")
        if status is not None:
            self._show(status)
        event = message.get("event")
        if event == "nudge":
            self.notify(escape(message["message"]), title=message["title"], severity="warning", timeout=10)
            if message.get("kind") != "recalibrate":
                self.bell()
        elif event == "stretch":
            if message.get("done"):
                self.live.show_notice("")
                seen = "the sensor saw it" if message.get("seen_by_sensor") else "the sensor did not see it"
                self.notify(f"Stretch done: {seen}.", title="Stretch")
            else:
                self.live.show_notice(
                    escape(f"Stretch step {message['step'] + 1}: {message['text']} ({message['left_s']:.0f} s)")
                )
        elif event == "calibration":
            self.notify(escape(message["message"]), title="Calibration", timeout=8)
        elif not message.get("ok", True):
            self.notify(escape(message.get("error", "the tracker refused")), severity="error")

    def _show(self, status: dict[str, Any]) -> None:
        self.status = status
        link = status["link"]
        stats = LinkStats(received=link["received"], lost=link["lost"], reconnects=link["reconnects"])
        self.live.show_link(LinkState(link["state"]), link["detail"], status["sensor"], stats)
        # Placed on the chart by the snapshot's wall-clock time, as the app places its
        # own: a status sent again during an outage carries the same time, no new point.
        self.live.show_snapshot(snapshot_from(status), tally_from(status), status.get("snapshot_at"))
        notes = []
        if status["paused"]:
            left = status.get("pause_left_s")
            notes.append("paused" + (f": {left / 60:.0f} min left" if left else " until resumed (p)"))
        if status.get("snoozed_until"):
            notes.append("nudges snoozed")
        if status["history"]["error"]:
            notes.append(status["history"]["error"])
        self.live.show_nudge_status(" · ".join(notes))

    async def _command(self, cmd: str, **fields: Any) -> None:
        if self.client is None or not self.attached:
            self.notify("Not attached to a tracker.", severity="error")
            return
        await self.client.send(cmd, **fields)

    async def action_calibrate(self) -> None:
        self.notify("Sit upright and still, then lean forward when asked.", title="Calibration")
        await self._command("calibrate")

    async def action_pause(self) -> None:
        paused = bool(self.status and self.status["paused"])
        await self._command("resume" if paused else "pause")

    async def action_snooze(self) -> None:
        await self._command("snooze", minutes=SNOOZE_MIN)
        self.notify(f"Nudges snoozed for {SNOOZE_MIN} minutes.")

    def action_stretch(self) -> None:
        def chosen(name: str | None) -> None:
            if name is not None:
                self.run_worker(self._command("stretch", name=name), group="tracker-command")

        self.push_screen(StretchChoiceScreen(), chosen)

    def action_settings(self) -> None:
        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    # -- the services the settings screen uses (ui/services.py) ------------------------

    @property
    def simulated(self) -> bool:
        return False

    def current_sensor(self) -> FoundSensor | None:
        sensor = self.status["sensor"] if self.status else None
        if not sensor:
            return None
        return FoundSensor(str(sensor.get("name", "")), str(sensor["address"]), str(sensor["kind"]), 0)

    async def scan_sensors(self, seconds: float) -> list[FoundSensor]:
        raise OSError("the tracker owns the sensor: `posture track --address` picks another")

    def connect_sensor(self, sensor: FoundSensor, *, remember: bool) -> None:
        self.notify("The tracker owns the sensor: restart it with `posture track --address`.", severity="warning")

    def forget_sensor(self) -> None:
        self.notify("The tracker owns the sensor: forget it in a window that tracks.", severity="warning")

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._show_thresholds()
        self.run_worker(self._command("reload"), group="tracker-command")

    def start_calibration(self) -> None:
        self.run_worker(self._command("calibrate"), group="tracker-command")

    def cancel_calibration(self) -> None:
        pass  # the tracker's calibration ends by itself when not completed

    def start_stretch(self, plan: StretchPlan) -> GuidedStretch | None:
        self.run_worker(self._command("stretch", name=plan.kind.value), group="tracker-command")
        return None  # measured by the tracker; its steps arrive as events

    def sensor_time_s(self) -> float:
        return float(self.status["t_s"]) if self.status else 0.0

    def demo_follow_step(self, measure: str) -> None:
        pass

    def finish_stretch(self, result: StretchResult, *, by_hand: bool) -> None:
        pass  # the tracker records the stretch it measured

    def cancel_stretch(self) -> None:
        pass

    def action_history(self) -> None:
        self.push_screen(HistoryScreen(self.history_path))

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.close()


class StretchChoiceScreen(ModalScreen[str | None]):
    """Pick a guided stretch; the tracker measures it and sends its steps."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="stretch"):
            yield Label("Stretch (measured by the tracker)", classes="panel-title")
            yield OptionList(*[Option(f"{plan.title}: {plan.summary}", id=key) for key, plan in PLANS_BY_NAME.items()])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
