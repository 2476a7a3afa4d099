"""The app: the shell that wires screens, workers and keys.

``make_app`` builds it with its settings, transport and (for ``posture demo``) a
simulated world; the screens only draw, the worker only posts messages. What the
app does is in three parts mixed into :class:`PostureApp`: the sensor link
(``app_link.py``), the history (``app_history.py``), and the session actions that
screens and attached viewers ask for through typed interfaces (``app_actions.py``,
``services.py``, ``control.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

if TYPE_CHECKING:  # the simulator loads only for ``posture demo``
    from ..sim.world import DemoWorld

from ..ble.transport import BleTransport
from ..coach import DayTally
from ..coach.stretches import GuidedStretch
from ..history.store import default_path as default_history_path
from ..history.writer import HistoryWriter, ending_stale_sessions
from ..link import (
    FoundSensor,
    LinkState,
    SensorLink,
)
from ..live import LiveSession
from ..notify import DesktopNotifications
from ..paths import data_dir
from ..settings import Settings, settings_path
from .app_actions import SessionActionsMixin
from .app_history import HistoryMixin
from .app_link import LinkMixin
from .calibration_screen import CalibrationScreen
from .commands import app_commands
from .control import WindowControl
from .help_screen import HelpScreen
from .history_screen import HistoryScreen
from .live_screen import LiveScreen
from .messages import PostureUpdated
from .sensor_screen import SensorScreen
from .settings_screen import SettingsScreen
from .snooze_screen import SnoozeScreen
from .stretch_screen import StretchScreen

DEMO_OUT_OF_RANGE_S = 4.0
CLOSING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name))
HABIT_REFRESH_S = 60.0  # the score and the streak follow the stored history this often


class PostureApp(LinkMixin, HistoryMixin, SessionActionsMixin, App):
    CSS_PATH = Path(__file__).parent / "posture.tcss"
    TITLE = "posture"
    SUB_TITLE = "upper-back posture companion"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", tooltip="This list of keys"),
        Binding("f1", "help", "Help", show=False),
        Binding("c", "calibrate", "Calibrate", tooltip="Calibrate: sit upright, then lean forward"),
        Binding("r", "stretch", "Stretch", tooltip="A guided stretch or the balance check"),
        Binding("h", "history", "History", tooltip="History: your days, episodes and stretches"),
        Binding("n", "sensors", "Sensors", tooltip="Sensors: scan, connect, forget"),
        Binding("comma", "settings", "Settings", tooltip="Settings: thresholds, nudges, quiet hours"),
        Binding("z", "snooze", "Snooze", tooltip="Snooze nudges for a while, or resume them"),
        Binding("m", "quiet", "Quiet", show=False, tooltip="Quiet mode: keep tracking, no nudges (again: off)"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (the day so far is saved)"),
    ]
    DEMO_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "demo('slouch')", "Slouch", show=False),
        Binding("u", "demo('sit_up')", "Sit up", show=False),
        Binding("b", "demo('lean_back')", "Lean back", show=False),
        Binding("t", "demo('stand')", "Stand", show=False),
        Binding("w", "demo('walk')", "Walk", show=False),
        Binding("d", "demo('sit_down')", "Sit down", show=False),
        Binding("x", "drop_link", "Drop link", show=False, tooltip="The sensor goes out of range for 4 s"),
    ]
    DEMO_KEYS = "s slouch    u sit up\nb lean back t stand\nw walk      d sit down\nx sensor out of range"

    def __init__(
        self,
        *,
        settings: Settings,
        settings_file: Path,
        transport: BleTransport | None = None,
        sensor: FoundSensor | None = None,
        demo: bool = False,
        calibrate_on_start: bool = True,
        clock: Callable[[], datetime] = datetime.now,
        notifier: DesktopNotifications | None = None,
        history_path: Path | None = None,
        notice: str = "",
        socket_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.settings_file = settings_file
        self.transport = transport or BleTransport.system()
        self.initial_sensor = sensor
        self.demo = demo
        self.demo_world: DemoWorld | None = None
        self.calibrate_on_start = calibrate_on_start
        self.clock = clock
        self.notifier = notifier or DesktopNotifications(enabled=settings.nudges.desktop)
        self.session = LiveSession(settings, clock=clock)
        self.link: SensorLink | None = None
        self.sensor_info: dict[str, object] = {}
        self.link_state = LinkState.IDLE
        self._link_detail = ""
        self._link_counts_shown: tuple[int, int] = (0, 0)
        self.live = LiveScreen()
        self.history_path = history_path or default_history_path()
        self.active_stretch: GuidedStretch | None = None
        self._demo_step = ""
        self.history: HistoryWriter | None = None
        self.home_lock = None
        self._link_restarts = 0  # link workers restarted since streaming last worked
        self.startup_notice = notice
        self.tally = DayTally()  # the day's numbers, kept across link sessions
        self._bluetooth_checked = False
        self._calibrate_when_streaming = False
        self._tally_day = clock().date()
        self._signals_handled: list[int] = []
        self._open_sessions: list[LiveSession] = []  # started in the history, not yet ended
        self.control: WindowControl | None = None  # the control socket, when this window owns the home
        self.socket_file = socket_file
        self.started_at = clock().timestamp()

    # -- start ----------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.set_timer(5.0, self._freeze_startup_objects)
        if not self.demo and not self._lock_home():
            return
        self._close_on_signals()
        self.tally = self._today_from_history()
        self._tally_day = self.clock().date()
        self.live.seed_chart(self._recent_flexion(), self.clock().timestamp())
        self.session.tally = self.tally
        # The writer opens (and checks) the file on its own thread: the screen does not
        # wait for it (half a second with a year of history); a problem is shown from there.
        self.history = HistoryWriter(
            self.history_path, on_error=self._history_problem_from_thread, on_open=ending_stale_sessions(self.clock)
        ).start(wait_s=0)
        await self.push_screen(self.live)
        if not self.demo:  # a demo's made-up session is never served to the real home
            await self._serve_control()
        self.live.set_thresholds(self.settings.posture.threshold_deg, self.settings.posture.clear_deg)
        if self.tally.tracked_s or self.tally.episodes:
            self.live.show_today(self.tally)
        self._refresh_habit()
        self.set_interval(HABIT_REFRESH_S, self._refresh_habit)
        if self.startup_notice:
            self.notify(escape(self.startup_notice), title="posture", timeout=15)
        if self.demo:
            from ..sim.world import start_demo_world

            self.demo_world = await start_demo_world()
            self.transport = BleTransport.virtual(self.demo_world.radio)
            self.sub_title = "demo: a simulated sensor on a simulated person"
            self.live.show_demo_keys(self.DEMO_KEYS)
            sensor = FoundSensor("Posture1", self.demo_world.sensor.address, "reference", -50)
            self.connect_sensor(sensor, remember=False)
        elif self.initial_sensor is not None:
            self.connect_sensor(self.initial_sensor, remember=False)
        else:
            await self.push_screen(SensorScreen())

    async def _serve_control(self) -> None:
        """Serve the control socket as the tracker would: `posture status` answers and
        a second window attaches to this one."""
        from ..tracker import socket_path
        from .control import WindowControl

        try:
            self.control = await WindowControl(self, self.socket_file or socket_path()).start()
        except OSError as exc:
            self.notify(escape(f"Other windows and `posture status` cannot attach: {exc}"), severity="warning")

    def _lock_home(self) -> bool:
        """One recorder per home (tracker or window): refuse when another holds it."""
        from ..tracker import AlreadyRunning, TrackerLock, lock_path

        try:
            self.home_lock = TrackerLock(lock_path()).acquire()
        except AlreadyRunning as exc:
            self.exit(return_code=1, message=f"posture: {exc}")
            return False
        return True

    def _freeze_startup_objects(self) -> None:
        # Everything built at start-up (widgets, the BLE stack, modules) lives as long
        # as the app: moving it out of the collector's sight keeps full collections
        # from pausing the UI for a tenth of a second now and then.
        gc.collect()
        gc.freeze()

    def _close_on_signals(self) -> None:
        """A closed terminal (SIGHUP) or a service stop (SIGTERM) quits as Ctrl+Q does,
        so the episode in progress and the session are written."""
        loop = asyncio.get_running_loop()
        for signum in CLOSING_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.exit)
                self._signals_handled.append(signum)

    async def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals_handled:
            loop.remove_signal_handler(signum)
        # The link worker may be cancelled after this point: close its session
        # (the episode in progress, the end) while the history still takes records.
        self._end_session(self.session)
        if self.control is not None:
            await self.control.close()
        if self.history is not None:
            self.history.close()
        if self.home_lock is not None:
            self.home_lock.release()
        if self.demo_world is not None:
            await self.demo_world.close()

    # -- link -----------------------------------------------------------------------

    # -- messages -------------------------------------------------------------------

    def on_posture_updated(self, message: PostureUpdated) -> None:
        # The day's tally as it is now: one posted before midnight is the old day's.
        self._roll_over_day()
        self.live.show_snapshot(message.snapshot, self.tally, message.at_s)
        if self.control is not None:
            self.control.broadcast()
        self._show_link_counts()
        if (screen := self._calibration_screen()) is not None:
            screen.show_status(self.session.engine.calibration_status())

    # -- actions --------------------------------------------------------------------

    # Keys that open a screen of their own work from the live screen. Elsewhere Esc
    # leads back first: no second history on top of the history, and each screen's
    # footer shows its own keys instead of the app's, cut off at 80 columns.
    OPENED_FROM_LIVE = frozenset({"calibrate", "stretch", "history", "sensors", "settings", "snooze"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.OPENED_FROM_LIVE and self.screen is not self.live)

    def action_calibrate(self) -> None:
        if not isinstance(self.screen, CalibrationScreen):
            self.push_screen(CalibrationScreen())

    # -- stretches ------------------------------------------------------------------

    def action_stretch(self, kind: str | None = None) -> None:
        if not isinstance(self.screen, StretchScreen):
            self.push_screen(StretchScreen(kind))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): every action of the app, by name."""
        return app_commands(self)

    def action_history(self) -> None:
        if self.history is not None:
            self.history.flush(1.0)  # show what was just recorded
        self.push_screen(HistoryScreen(self.history_path))

    def action_sensors(self) -> None:
        self.push_screen(SensorScreen())

    def action_settings(self) -> None:
        # Built once and kept: opening it is then only a screen switch.
        if not self.is_screen_installed("settings"):
            self.install_screen(SettingsScreen(), "settings")
        if not isinstance(self.screen, SettingsScreen):
            self.push_screen("settings")

    def action_snooze(self) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "resume":
                self.resume_nudges()
            elif choice is not None:
                self.snooze_nudges(None if choice == "tomorrow" else int(choice))

        self.push_screen(SnoozeScreen(), chosen)

    # -- what viewers attached to this window may ask (ui/control.py) ------------------

    def action_quiet(self) -> None:
        policy = self.session.policy
        policy.quiet_mode = not policy.quiet_mode
        self.live.show_nudge_status("quiet mode: tracking without nudges" if policy.quiet_mode else "")
        self.notify("Quiet mode on: tracking without nudges." if policy.quiet_mode else "Quiet mode off.")

    # -- demo -----------------------------------------------------------------------

    def action_demo(self, movement: str) -> None:
        self._demo_wearer(movement)

    @work(group="demo", exit_on_error=False)
    async def action_drop_link(self) -> None:
        """The simulated sensor goes out of range for a few seconds."""
        if self.demo_world is not None:
            await self.demo_world.sensor.go_out_of_range(DEMO_OUT_OF_RANGE_S)


class DemoPostureApp(PostureApp):
    """The app on a simulated sensor, with keys that move the simulated wearer."""

    BINDINGS = PostureApp.DEMO_BINDINGS


def make_app(
    *,
    demo: bool = False,
    settings: Settings | None = None,
    settings_file: Path | None = None,
    transport: BleTransport | None = None,
    sensor: FoundSensor | None = None,
    **options,
) -> PostureApp:
    """Build the app with its dependencies; settings load from the config file by default."""
    from ..settings import load

    path = settings_file or settings_path()
    settings = settings if settings is not None else load(path)
    if sensor is None and not demo and settings.sensor is not None:
        remembered = settings.sensor
        sensor = FoundSensor(remembered.name or remembered.address, remembered.address, remembered.kind, 0)
    if demo:  # made-up data never mixes with the person's history
        options.setdefault("history_path", data_dir() / "demo" / "history.sqlite3")
    app_class = DemoPostureApp if demo else PostureApp
    return app_class(settings=settings, settings_file=path, transport=transport, sensor=sensor, demo=demo, **options)


__all__ = ["DemoPostureApp", "PostureApp", "make_app"]
