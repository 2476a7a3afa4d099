"""The app: a thin shell that wires the link worker to the screens.

``make_app`` builds it with its settings, transport and (for ``posture demo``) a
simulated world; the screens only draw, the worker only posts messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from bleak.exc import BleakError
from rich.markup import escape
from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from firmware_protocol.sim import ReferenceSensor, VirtualRadio
from firmware_protocol.sim.wearer import InteractiveWearer

from ..ble.transport import BleTransport
from ..drivers import make_driver
from ..engine import CalibrationCompleted, CalibrationProgress, RecalibrationNeeded
from ..link import (
    BatteryChanged,
    FoundSensor,
    LinkFailed,
    LinkRestarted,
    LinkState,
    LinkStateChanged,
    LinkStats,
    ReadingsReceived,
    SensorConnected,
    SensorLink,
    scan,
)
from ..coach import DayTally
from ..history import HistoryError, HistoryStore
from ..history.store import default_path as default_history_path
from ..paths import data_dir
from ..history.today import habit_today, today_from_history
from ..history.writer import HistoryWriter
from ..live import LiveSession, load_frame, save_frame
from ..notify import DesktopNotifications
from ..settings import RememberedSensor, Settings, SettingsError, save, settings_path
from .calibration_screen import CalibrationScreen
from .commands import app_commands
from .control import WindowControl
from .help_screen import HelpScreen
from .history_screen import HistoryScreen
from .live_screen import LiveScreen
from .messages import LinkUpdated, NudgeDue, PostureEvent, PostureUpdated
from .sensor_screen import SensorScreen
from .settings_screen import SettingsScreen
from .snooze_screen import SnoozeScreen
from .stretch_screen import StretchScreen
from ..coach.stretches import GuidedStretch, StretchKind, StretchPlan, StretchResult


DEMO_OUT_OF_RANGE_S = 4.0
BLUETOOTH_CHECK_S = 0.5
CLOSING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name))
# An open session that stored nothing for this long is not running anywhere.
STALE_SESSION_S = 300.0
HABIT_REFRESH_S = 60.0  # the score and the streak follow the stored history this often


@dataclass
class DemoWorld:
    """The simulated sensor and the person wearing it, for ``posture demo``."""

    radio: VirtualRadio
    sensor: ReferenceSensor
    wearer: InteractiveWearer

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sensor.stop()


async def start_demo_world(seed: int = 0) -> DemoWorld:
    radio = VirtualRadio()
    wearer = InteractiveWearer(seed=seed)
    sensor = ReferenceSensor(radio, name="Posture1", motion=wearer)
    await sensor.start()
    return DemoWorld(radio, sensor, wearer)


class PostureApp(App):
    CSS_PATH = Path(__file__).parent / "posture.tcss"
    TITLE = "posture"
    SUB_TITLE = "upper-back posture companion"

    BINDINGS = [
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
    DEMO_BINDINGS = [
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
        self._repair_history()
        self.tally = self._today_from_history()
        self._tally_day = self.clock().date()
        self.session.tally = self.tally
        self.history = HistoryWriter(self.history_path, on_error=self._history_problem_from_thread).start()
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

    def _repair_history(self) -> None:
        """Sessions a crash left open end at the last thing stored for them."""
        try:
            store = HistoryStore(self.history_path, readonly=False) if self.history_path.exists() else None
        except HistoryError:
            return  # the writer reports it
        if store is None:
            return
        try:
            store.close_stale_sessions(self.clock().timestamp(), STALE_SESSION_S)
        except sqlite3.Error:
            pass  # busy or read-only: tried again on the next start
        finally:
            store.close()

    def _today_from_history(self) -> DayTally:
        """Today's numbers as earlier runs stored them (none when there is no history)."""
        return today_from_history(self.history_path, self.clock().date())

    @work(exclusive=True, thread=True, group="habit", exit_on_error=False)
    def _refresh_habit(self) -> None:
        """Today's goal, score and streak from the history (a thread: it reads SQLite)."""
        if self.history is not None:
            self.history.flush(1.0)
        habit = habit_today(self.history_path, self.clock().date())
        with contextlib.suppress(RuntimeError):  # the app is already gone
            self.call_from_thread(self.live.show_habit, habit)

    def _history_problem_from_thread(self, message: str) -> None:
        try:
            self.call_from_thread(self.show_history_problem, message)
        except RuntimeError:  # the app is already gone
            pass

    def show_history_problem(self, message: str) -> None:
        """A store failure stays in the sub-title until it is over, and pops up once."""
        if message:
            self.sub_title = "history not being saved"
            self.notify(escape(message), title="History", severity="error", timeout=30)
        elif self.sub_title == "history not being saved":
            self.sub_title = "demo: a simulated sensor on a simulated person" if self.demo else ""
            self.notify("The history is being saved again.", title="History")

    def _record(self, *records) -> None:
        if self.history is not None:
            for record in records:
                self.history.put(record)

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

    def connect_sensor(self, sensor: FoundSensor, *, remember: bool) -> None:
        # A simulated sensor lives only as long as this demo: never remember it.
        if remember and self.demo_world is None:
            self._save(self._with_sensor(RememberedSensor(sensor.address, sensor.name, sensor.kind)))
        self.sensor_info = {"name": sensor.name, "kind": sensor.kind, "address": sensor.address}
        frame = load_frame(sensor.address)
        self.session = LiveSession(self.settings, frame=frame, clock=self.clock)
        self.tally.new_session()
        self.session.tally = self.tally
        self._bluetooth_checked = False
        self.live.show_notice("")
        self._run_link(sensor)
        # Calibration needs readings: it opens once the sensor streams.
        self._calibrate_when_streaming = frame is None and self.calibrate_on_start

    def current_sensor(self) -> FoundSensor | None:
        """The sensor the link is (or keeps trying to be) connected to."""
        if self.link is None:
            return None
        return self.link.sensor

    @property
    def simulated(self) -> bool:
        return self.demo_world is not None

    async def scan_sensors(self, seconds: float) -> list[FoundSensor]:
        return await scan(self.transport, seconds)

    def sensor_time_s(self) -> float:
        return self.session.engine.snapshot.t_s

    def forget_sensor(self) -> None:
        self._save(self._with_sensor(None))
        self.notify("Forgot the remembered sensor.")

    def _with_sensor(self, sensor: RememberedSensor | None) -> Settings:
        return replace(self.settings, sensor=sensor)

    #: Pause before the app restarts a link worker that died.
    LINK_RESTART_S = 1.0

    @work(exclusive=True, group="link", exit_on_error=False)
    async def _run_link(self, sensor: FoundSensor) -> None:
        driver = make_driver(sensor.kind, delay_s=self.settings.posture.delay_s, vibrate=self.settings.nudges.vibrate)
        link = SensorLink(sensor, self.transport, driver=driver)
        self.link = link
        session = self.session
        self._record(session.start_record(sensor.address, sensor.name, sensor.kind))
        self._open_sessions.append(session)
        runner = asyncio.create_task(link.run())
        getter: asyncio.Future | None = None
        try:
            while True:
                getter = asyncio.ensure_future(link.events.get())
                await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    while not link.events.empty():
                        self._take_link_event(link, link.events.get_nowait())
                    if link.failure is not None and not runner.cancelled() and runner.exception() is None:
                        return  # gave up for good, and said why (LinkFailed)
                    problem = "cancelled" if runner.cancelled() else repr(runner.exception())
                    raise RuntimeError(f"the link task ended unexpectedly ({problem})")
                self._take_link_event(link, getter.result())
                if link.state is LinkState.STREAMING:
                    self._link_restarts = 0
        finally:
            if getter is not None:
                getter.cancel()
            link.stop()
            self._end_session(session)
            if not runner.done():
                await runner

    def _take_link_event(self, link: SensorLink, event) -> None:
        if isinstance(event, ReadingsReceived):
            update = self.session.feed(event.readings)
            self._record(*update.records)
            if self.active_stretch is not None:
                snap = self.session.engine.snapshot
                self.active_stretch.feed(event.readings, snap.flexion_deg, snap.lateral_deg)
            for engine_event in update.events:
                self.post_message(PostureEvent(engine_event))
            for nudge in update.nudges:
                self.post_message(NudgeDue(nudge))
            if update.snapshot is not None:
                at_s = self.session.wall_s(update.snapshot.t_s)
                self.post_message(PostureUpdated(update.snapshot, self.session.tally, at_s))
        else:
            self.post_message(LinkUpdated(event, link.stats))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A link worker that dies is shown, and the link started again."""
        worker = event.worker
        if worker.group != "link" or event.state is not WorkerState.ERROR:
            return
        sensor = self.link.sensor if self.link is not None else None
        self.notify(
            escape(f"The sensor link stopped unexpectedly: {worker.error}. Restarting it."),
            title="Sensor", severity="error", timeout=10,
        )
        self.link_state = LinkState.RECONNECTING
        if self.link is not None:
            self.live.show_link(self.link_state, "restarting the link", self.sensor_info, self.link.stats)
        if sensor is not None:
            # Backs off when it keeps dying, so a persistent defect is not a storm.
            delay_s = self.LINK_RESTART_S * 2 ** min(self._link_restarts, 5)
            self._link_restarts += 1
            self.set_timer(delay_s, lambda: self._run_link(sensor))

    def _roll_over_day(self) -> bool:
        """After midnight today's numbers start again; True when they just did."""
        day = self.clock().date()
        if day == self._tally_day:
            return False
        self._tally_day = day
        self.tally = DayTally()
        self.session.tally = self.tally
        return True

    def _end_session(self, session: LiveSession) -> None:
        """Write what closes a link session, once."""
        if session in self._open_sessions:
            self._open_sessions.remove(session)
            self._record(*session.end_records())

    # -- messages -------------------------------------------------------------------

    def _calibration_screen(self) -> CalibrationScreen | None:
        """The calibration screen when it is on top (and mounted), else None."""
        screen = self.screen_stack[-1] if self.screen_stack else None
        return screen if isinstance(screen, CalibrationScreen) and screen.is_mounted else None

    def on_posture_updated(self, message: PostureUpdated) -> None:
        tally = self.tally if self._roll_over_day() else message.tally
        self.live.show_snapshot(message.snapshot, tally, message.at_s)
        if self.control is not None:
            self.control.broadcast()
        self._show_link_counts()
        if (screen := self._calibration_screen()) is not None:
            screen.show_status(self.session.engine.calibration_status())

    def on_posture_event(self, message: PostureEvent) -> None:
        event = message.event
        if (screen := self._calibration_screen()) is not None:
            screen.show_event(event)
        if isinstance(event, CalibrationCompleted):
            address = str(self.sensor_info.get("address", ""))
            if address:
                try:
                    save_frame(address, event.frame)
                except OSError as exc:
                    self.notify(escape(f"Calibration not saved: {exc}"), severity="warning")
            self._demo_wearer("sit_up")
        elif isinstance(event, CalibrationProgress) and event.phase == "lean":
            self._demo_wearer("lean_forward")
        elif isinstance(event, RecalibrationNeeded):
            self.notify(escape(f"{event.reason}. Press c to recalibrate."), title="Recalibrate", severity="warning", timeout=10)

    def on_nudge_due(self, message: NudgeDue) -> None:
        nudge = message.nudge
        if self.control is not None:
            self.control.send_all({"event": "nudge", "kind": nudge.kind, "title": nudge.title, "message": nudge.message})
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

    def on_link_updated(self, message: LinkUpdated) -> None:
        event = message.event
        detail = ""
        if isinstance(event, LinkStateChanged):
            self.link_state = event.state
            detail = event.detail
            # One notice when an outage starts and one if it lasts: the retries
            # in between only update the sensor panel.
            if event.state is LinkState.STREAMING:
                self.live.show_notice("")
                if self._calibrate_when_streaming:
                    self._calibrate_when_streaming = False
                    self.call_after_refresh(self.action_calibrate)
            elif message.stats.last_error and not self._bluetooth_checked and self.demo_world is None:
                self._bluetooth_checked = True
                self._check_bluetooth()
            if event.state is LinkState.LOST:
                self.notify(escape(f"Sensor lost: {event.detail or 'no answer'}. Still trying."), severity="error", timeout=10)
            elif event.new_outage and event.state is LinkState.STALLED:
                self.notify(escape(f"The sensor stopped sending data ({event.detail}); reconnecting..."), severity="warning", timeout=6)
            elif event.new_outage:
                self.notify("Sensor disconnected; reconnecting...", severity="warning", timeout=4)
        elif isinstance(event, LinkRestarted):
            self.notify(escape(f"Sensor link error: {event.reason}. Restarting the link."), title="Sensor", severity="error", timeout=10)
        elif isinstance(event, SensorConnected):
            if event.rate_hz:
                self.session.set_rate(event.rate_hz)
            self.sensor_info.update(
                name=event.name, kind=event.kind, model=event.model, battery=event.battery_percent, rate_hz=event.rate_hz
            )
        elif isinstance(event, BatteryChanged):
            self.sensor_info["battery"] = event.percent
        elif isinstance(event, LinkFailed):
            self.notify(escape(event.reason), title="Sensor", severity="error", timeout=15)
        self._show_link(detail, message.stats)
        if self.control is not None:
            self.control.broadcast(force=True)

    def _show_link(self, detail: str, stats: LinkStats) -> None:
        self._link_detail = detail
        self._link_counts_shown = (stats.lost, stats.malformed)
        self.live.show_link(self.link_state, detail, self.sensor_info, stats)

    def _show_link_counts(self) -> None:
        """Lost samples and bad frames are counted as readings arrive, with no link
        event of their own: show them when they change, at the snapshots' pace."""
        if self.link is not None and (self.link.stats.lost, self.link.stats.malformed) != self._link_counts_shown:
            self._show_link(self._link_detail, self.link.stats)

    @work(group="bluetooth-check", exit_on_error=False)
    async def _check_bluetooth(self) -> None:
        """The sensor cannot be reached: say so when it is because Bluetooth is missing."""
        try:
            await scan(self.transport, BLUETOOTH_CHECK_S)
        except (BleakError, OSError) as exc:
            name = self.sensor_info.get("name", "the sensor")
            self.live.show_notice(
                f"Bluetooth is not available on this computer ({escape(str(exc) or type(exc).__name__)}), "
                f"so {escape(str(name))} cannot be reached. Switch Bluetooth on or plug in an adapter; "
                "n picks another sensor; `posture demo` runs a simulated one."
            )

    # -- actions --------------------------------------------------------------------

    def start_calibration(self) -> None:
        self.session.engine.start_calibration()
        self._demo_wearer("sit_up")
        # A sensor with its own calibration (Upright GO) recalibrates with us.
        step = getattr(self.link.driver, "calibrate_step", None) if self.link is not None else None
        if step is not None:
            self._sensor_write(step())

    @work(group="sensor-write", exit_on_error=False)
    async def _sensor_write(self, step) -> None:
        if self.link is not None:
            await self.link.client_write(step)

    def cancel_calibration(self) -> None:
        self.session.engine.cancel_calibration()

    def action_calibrate(self) -> None:
        if not isinstance(self.screen, CalibrationScreen):
            self.push_screen(CalibrationScreen())

    # -- stretches ------------------------------------------------------------------

    def action_stretch(self, kind: str | None = None) -> None:
        if not isinstance(self.screen, StretchScreen):
            self.push_screen(StretchScreen(kind))

    def start_stretch(self, plan: StretchPlan) -> GuidedStretch | None:
        frame = self.session.engine.frame
        if frame is None:
            self.notify("Calibrate first (c): the stretch is measured from your upright.", severity="warning")
            return None
        for event in self.session.engine.pause():  # slouch detection rests during a stretch
            self.post_message(PostureEvent(event))
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

    @property
    def link_detail(self) -> str:
        return self._link_detail

    @property
    def stretching(self) -> str | None:
        return None if self.active_stretch is None else self.active_stretch.plan.kind.value

    def snooze_nudges(self, minutes: int | None) -> datetime:
        until = self.session.policy.snooze(self.clock(), minutes)
        self.live.show_nudge_status(f"nudges snoozed until {until:%a %H:%M}")
        self.notify(f"Nudges snoozed until {until:%a %H:%M}.")
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

    def stop_tracking(self) -> None:
        self.exit()

    def action_quiet(self) -> None:
        policy = self.session.policy
        policy.quiet_mode = not policy.quiet_mode
        self.live.show_nudge_status("quiet mode: tracking without nudges" if policy.quiet_mode else "")
        self.notify("Quiet mode on: tracking without nudges." if policy.quiet_mode else "Quiet mode off.")

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

    # -- demo -----------------------------------------------------------------------

    def _demo_wearer(self, movement: str) -> None:
        if self.demo_world is not None:
            getattr(self.demo_world.wearer, movement)()

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
    return app_class(
        settings=settings, settings_file=path, transport=transport, sensor=sensor, demo=demo, **options
    )


__all__ = ["DemoPostureApp", "PostureApp", "make_app"]
