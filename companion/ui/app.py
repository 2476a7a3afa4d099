"""The app: a thin shell that wires the link worker to the screens.

``make_app`` builds it with its settings, transport and (for ``posture demo``) a
simulated world; the screens only draw, the worker only posts messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from rich.markup import escape
from textual import work
from textual.app import App
from textual.binding import Binding

from firmware_protocol.sim import ReferenceSensor, VirtualRadio
from firmware_protocol.sim.wearer import InteractiveWearer

from ..ble.transport import BleTransport
from ..drivers import make_driver
from ..engine import CalibrationCompleted, CalibrationProgress, RecalibrationNeeded
from ..link import (
    BatteryChanged,
    FoundSensor,
    LinkFailed,
    LinkState,
    LinkStateChanged,
    LinkStats,
    ReadingsReceived,
    SensorConnected,
    SensorLink,
)
from ..history.store import default_path as default_history_path
from ..history.writer import HistoryWriter
from ..live import LiveSession, load_frame, save_frame
from ..notify import DesktopNotifications
from ..settings import RememberedSensor, Settings, SettingsError, save, settings_path
from .calibration_screen import CalibrationScreen
from .history_screen import HistoryScreen
from .live_screen import LiveScreen
from .messages import LinkUpdated, NudgeDue, PostureEvent, PostureUpdated
from .sensor_screen import SensorScreen
from .settings_screen import SettingsScreen
from .snooze_screen import SnoozeScreen
from .stretch_screen import StretchScreen
from ..coach.stretches import GuidedStretch, StretchKind, StretchPlan, StretchResult


DEMO_OUT_OF_RANGE_S = 4.0


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
        Binding("c", "calibrate", "Calibrate"),
        Binding("r", "stretch", "Stretch"),
        Binding("h", "history", "History"),
        Binding("n", "sensors", "Sensors"),
        Binding("comma", "settings", "Settings"),
        Binding("z", "snooze", "Snooze"),
        Binding("m", "quiet", "Quiet"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False
    DEMO_BINDINGS = [
        Binding("s", "demo('slouch')", "Slouch", show=False),
        Binding("u", "demo('sit_up')", "Sit up", show=False),
        Binding("b", "demo('lean_back')", "Lean back", show=False),
        Binding("t", "demo('stand')", "Stand", show=False),
        Binding("w", "demo('walk')", "Walk", show=False),
        Binding("d", "demo('sit_down')", "Sit down", show=False),
        Binding("x", "drop_link", "Drop link", show=False),
    ]
    DEMO_KEYS = "Demo wearer: s slouch · u sit up · b lean back · t stand · w walk · d sit down · x sensor out of range"

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

    # -- start ----------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.set_timer(5.0, self._freeze_startup_objects)
        self.history = HistoryWriter(self.history_path, on_error=self._history_problem_from_thread).start()
        await self.push_screen(self.live)
        self.live.set_thresholds(self.settings.posture.threshold_deg, self.settings.posture.clear_deg)
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

    def _freeze_startup_objects(self) -> None:
        # Everything built at start-up (widgets, the BLE stack, modules) lives as long
        # as the app: moving it out of the collector's sight keeps full collections
        # from pausing the UI for a tenth of a second now and then.
        gc.collect()
        gc.freeze()

    def _history_problem_from_thread(self, message: str) -> None:
        try:
            self.call_from_thread(self.notify, escape(message), title="History", severity="error", timeout=15)
        except RuntimeError:  # the app is already gone
            pass

    def _record(self, *records) -> None:
        if self.history is not None:
            for record in records:
                self.history.put(record)

    async def on_unmount(self) -> None:
        if self.history is not None:
            self.history.close()
        if self.demo_world is not None:
            await self.demo_world.close()

    # -- link -----------------------------------------------------------------------

    def connect_sensor(self, sensor: FoundSensor, *, remember: bool) -> None:
        if remember:
            self._save(self._with_sensor(RememberedSensor(sensor.address, sensor.name, sensor.kind)))
        self.sensor_info = {"name": sensor.name, "kind": sensor.kind, "address": sensor.address}
        frame = load_frame(sensor.address)
        self.session = LiveSession(self.settings, frame=frame, clock=self.clock)
        self._run_link(sensor)
        if frame is None and self.calibrate_on_start:
            self.call_after_refresh(self.action_calibrate)

    def current_sensor(self) -> FoundSensor | None:
        """The sensor the link is (or keeps trying to be) connected to."""
        if self.link is None:
            return None
        return self.link.sensor

    def forget_sensor(self) -> None:
        self._save(self._with_sensor(None))
        self.notify("Forgot the remembered sensor.")

    def _with_sensor(self, sensor: RememberedSensor | None) -> Settings:
        return replace(self.settings, sensor=sensor)

    @work(exclusive=True, group="link", exit_on_error=False)
    async def _run_link(self, sensor: FoundSensor) -> None:
        driver = make_driver(sensor.kind, delay_s=self.settings.posture.delay_s, vibrate=self.settings.nudges.vibrate)
        link = SensorLink(sensor, self.transport, driver=driver)
        self.link = link
        session = self.session
        self._record(session.start_record(sensor.address, sensor.name, sensor.kind))
        runner = asyncio.create_task(link.run())
        try:
            while True:
                event = await link.events.get()
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
                        self.post_message(PostureUpdated(update.snapshot, self.session.tally))
                else:
                    self.post_message(LinkUpdated(event, link.stats))
        finally:
            link.stop()
            self._record(*session.end_records())
            await runner

    # -- messages -------------------------------------------------------------------

    def on_posture_updated(self, message: PostureUpdated) -> None:
        self.live.show_snapshot(message.snapshot, message.tally)
        self._show_link_counts()
        if isinstance(self.screen, CalibrationScreen):
            self.screen.show_status(self.session.engine.calibration_status())

    def on_posture_event(self, message: PostureEvent) -> None:
        event = message.event
        if isinstance(self.screen, CalibrationScreen):
            self.screen.show_event(event)
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
        await self.notifier.send(title, message)

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
            if event.state is LinkState.LOST:
                self.notify(escape(f"Sensor lost: {event.detail or 'no answer'}. Still trying."), severity="error", timeout=10)
            elif event.state is LinkState.RECONNECTING:
                self.notify("Sensor disconnected; reconnecting...", severity="warning", timeout=4)
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

    def _show_link(self, detail: str, stats: LinkStats) -> None:
        self._link_detail = detail
        self._link_counts_shown = (stats.lost, stats.malformed)
        self.live.show_link(self.link_state, detail, self.sensor_info, stats)

    def _show_link_counts(self) -> None:
        """Lost samples and bad frames are counted as readings arrive, with no link
        event of their own: show them when they change, at the snapshots' pace."""
        if self.link is not None and (self.link.stats.lost, self.link.stats.malformed) != self._link_counts_shown:
            self._show_link(self._link_detail, self.link.stats)

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
            if choice is None:
                return
            policy = self.session.policy
            if choice == "resume":
                policy.resume()
                self.live.show_nudge_status("")
                self.notify("Nudges resumed.")
                return
            until = policy.snooze(self.clock(), None if choice == "tomorrow" else int(choice))
            self.live.show_nudge_status(f"nudges snoozed until {until:%a %H:%M}")
            self.notify(f"Nudges snoozed until {until:%a %H:%M}.")

        self.push_screen(SnoozeScreen(), chosen)

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
    app_class = DemoPostureApp if demo else PostureApp
    return app_class(
        settings=settings, settings_file=path, transport=transport, sensor=sensor, demo=demo, **options
    )


__all__ = ["DemoPostureApp", "PostureApp", "make_app"]
