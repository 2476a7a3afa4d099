"""The app's sensor link: the worker that runs it, what its events change on
screen, choosing and forgetting a sensor. Part of :class:`companion.ui.app.PostureApp`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import work
from textual.worker import Worker, WorkerState

from ..body_frames import load_frame
from ..drivers import make_driver
from ..errors import BluetoothUnavailable
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
from ..live import LiveSession
from ..settings import RememberedSensor, Settings
from .messages import LinkUpdated, NudgeDue, PostureEvent, PostureUpdated

if TYPE_CHECKING:  # the state the app holds, declared for this part (app_state.py)
    from .app_state import AppState as _AppState
else:
    _AppState = object

BLUETOOTH_CHECK_S = 0.5


class LinkMixin(_AppState):
    """The link worker and its events (mixed into PostureApp, which holds the state)."""

    #: Pause before the app restarts a link worker that died.
    LINK_RESTART_S = 1.0

    def connect_sensor(self, sensor: FoundSensor, *, remember: bool) -> None:
        # A simulated sensor lives only as long as this demo: never remember it.
        if remember and self.demo_world is None:
            self._save(self._with_sensor(RememberedSensor(sensor.address, sensor.name, sensor.kind)))
        self.sensor_info = {"name": sensor.name, "kind": sensor.kind, "address": sensor.address}
        frame = load_frame(sensor.address, self.history_path)
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
        if self.settings.sensor is None:
            self.notify("No sensor is remembered: nothing to forget.")
            return
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
            # A new day's tally before the readings that may count into it (as the
            # tracker does), so the first moment after midnight counts for the new day.
            self._roll_over_day()
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
                self.post_message(PostureUpdated(update.snapshot, at_s))
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
            title="Sensor",
            severity="error",
            timeout=10,
        )
        self.link_state = LinkState.RECONNECTING
        if self.link is not None:
            self.live.show_link(self.link_state, "restarting the link", self.sensor_info, self.link.stats)
        if sensor is not None:
            # Backs off when it keeps dying, so a persistent defect is not a storm.
            delay_s = self.LINK_RESTART_S * 2 ** min(self._link_restarts, 5)
            self._link_restarts += 1
            self.set_timer(delay_s, lambda: self._run_link(sensor))

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
                self.notify(
                    escape(f"Sensor lost: {event.detail or 'no answer'}. Still trying."), severity="error", timeout=10
                )
            elif event.new_outage and event.state is LinkState.STALLED:
                self.notify(
                    escape(f"The sensor stopped sending data ({event.detail}); reconnecting..."),
                    severity="warning",
                    timeout=6,
                )
            elif event.new_outage:
                self.notify("Sensor disconnected; reconnecting...", severity="warning", timeout=4)
        elif isinstance(event, LinkRestarted):
            self.notify(
                escape(f"Sensor link error: {event.reason}. Restarting the link."),
                title="Sensor",
                severity="error",
                timeout=10,
            )
        elif isinstance(event, SensorConnected):
            if event.rate_hz:
                self.session.set_rate(event.rate_hz)
            self.sensor_info.update(event.sensor_info())
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
        except BluetoothUnavailable as exc:
            name = self.sensor_info.get("name", "the sensor")
            self.live.show_notice(
                f"Bluetooth is not available on this computer ({escape(str(exc) or type(exc).__name__)}), "
                f"so {escape(str(name))} cannot be reached. Switch Bluetooth on or plug in an adapter; "
                "n picks another sensor; `posture demo` runs a simulated one."
            )

    @work(group="sensor-write", exit_on_error=False)
    async def _sensor_write(self, step) -> None:
        if self.link is not None:
            await self.link.client_write(step)
