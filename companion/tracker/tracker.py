"""The long-running tracker: one owner of the link, the live session, the nudges
and the history writer, with viewers attached over the control socket.

It adds no posture logic of its own: readings go through :class:`LiveSession`
(engine, tally, nudge policy, history records) exactly as in the app.

Over 350 lines as one cohesive thing: the lifetime of the one owner (start, stop
within two seconds, pause, resume, stretch) and the commands that change it are
the same state machine, and splitting them would spread that state over modules.
The status it reports is built in ``fields.py``, the socket in ``server.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..ble.transport import BleTransport
from ..body_frames import load_frame
from ..coach import DayTally
from ..coach.stretches import GuidedStretch, StretchKind, plan_named
from ..drivers import make_driver
from ..engine import CalibrationCompleted, CalibrationProgress, RecalibrationNeeded
from ..history.store import default_path as default_history_path
from ..history.today import today_from_history
from ..history.writer import HistoryWriter, ending_stale_sessions
from ..link import (
    BatteryChanged,
    FoundSensor,
    LinkFailed,
    LinkState,
    LinkStateChanged,
    ReadingsReceived,
    SensorConnected,
    SensorLink,
)
from ..live import LiveSession, Nudge
from ..notify import DesktopNotifications
from ..settings import Settings
from .control import Refused, broadcast, dispatch, send_all
from .fields import status_fields
from .lock import TrackerLock
from .protocol import PROTOCOL_VERSION
from .runtime import lock_path, socket_path
from .server import ControlServer

_log = logging.getLogger("companion.tracker")

STOP_GRACE_S = 1.0  # then a link still connecting is cancelled


@dataclass
class Pause:
    """Tracking rests until ``until_loop_s`` on the loop clock (None: until resumed)."""

    started_wall_s: float
    until_loop_s: float | None
    until_wall_s: float | None


class Tracker:
    def __init__(
        self,
        settings: Settings,
        transport: BleTransport,
        sensor: FoundSensor,
        *,
        history_path: Path | None = None,
        clock: Callable[[], datetime] = datetime.now,
        notifier: DesktopNotifications | None = None,
        socket_file: Path | None = None,
        lock_file: Path | None = None,
        simulated_wearer: Any = None,
    ) -> None:
        self.settings = settings
        # With --simulate: the simulated person, who follows the guided calibration.
        self.simulated_wearer = simulated_wearer
        self._calibrations = 0  # how many calibrations were started
        self.transport = transport
        self.sensor = sensor
        self.history_path = history_path or default_history_path()
        self.clock = clock
        self.notifier = notifier or DesktopNotifications(enabled=settings.nudges.desktop)
        self.socket_file = socket_file or socket_path()
        self.lock = TrackerLock(lock_file or lock_path())
        self.session = LiveSession(
            settings, frame=load_frame(sensor.address, history_path or default_history_path()), clock=clock
        )
        self.link: SensorLink | None = None
        self.link_state = LinkState.IDLE
        self.link_detail = ""
        self.sensor_info: dict[str, Any] = {"name": sensor.name, "address": sensor.address, "kind": sensor.kind}
        self.history: HistoryWriter | None = None
        self.server: ControlServer | None = None
        self.pause: Pause | None = None
        self.stretch: GuidedStretch | None = None
        self.started_at = clock().timestamp()
        self.failure = ""
        self.ready = asyncio.Event()
        self._stopping = False
        self._pause_timer: asyncio.TimerHandle | None = None
        self._runner: asyncio.Task | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tally_day = clock().date()

    # -- lifetime -------------------------------------------------------------------

    async def run(self) -> None:
        """Track until :meth:`stop` (a signal, or the ``stop`` command). Raises
        AlreadyRunning, before touching anything, when another tracker owns the home."""
        self.lock.acquire()
        self._loop = asyncio.get_running_loop()
        try:
            self.server = await ControlServer(self.socket_file, partial(dispatch, self), self._hello).start()
            _log.info("tracker %s listening on %s; history in %s", os.getpid(), self.socket_file, self.history_path)
            # Opening the history may be slow (a busy disk): off the loop, so the
            # socket answers meanwhile.
            writer = HistoryWriter(
                self.history_path, on_error=self._history_problem, on_open=ending_stale_sessions(self.clock)
            )
            self.history = await asyncio.to_thread(writer.start)
            # "Today" is the calendar day as stored, not the time since this start.
            self.session.tally = await asyncio.to_thread(today_from_history, self.history_path, self._tally_day)
            await self._track()
        finally:
            if self.server is not None:
                await self.server.close()
            for task in list(self._tasks):
                task.cancel()
            if self.history is not None:
                self.history.close()
                _log.info("history flushed (%d records written)", self.history.written)
            self.lock.release()

    def stop(self) -> None:
        """Stop cleanly: the link disconnects, the session closes, the history flushes.
        A link stuck in a connection attempt is cancelled after a grace period, so
        the whole stop stays within two seconds."""
        self._stopping = True
        if self.link is not None:
            self.link.stop()
        if self._runner is not None and self._loop is not None and self._watchdog is None:
            self._watchdog = self._loop.call_later(STOP_GRACE_S, self._force_stop)

    def _force_stop(self) -> None:
        if self._runner is not None and not self._runner.done():
            _log.warning("the sensor link did not stop in %.1f s; cancelling it", STOP_GRACE_S)
            self._runner.cancel()

    async def _track(self) -> None:
        driver = make_driver(
            self.sensor.kind, delay_s=self.settings.posture.delay_s, vibrate=self.settings.nudges.vibrate
        )
        link = SensorLink(self.sensor, self.transport, driver=driver)
        self.link = link
        self._record(self.session.start_record(self.sensor.address, self.sensor.name, self.sensor.kind))
        runner = self._runner = asyncio.create_task(link.run())
        if self._stopping:
            self.stop()
        self.ready.set()
        try:
            while not runner.done():
                getter = asyncio.ensure_future(link.events.get())
                await asyncio.wait((getter, runner), return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                event = getter.result()
                self._on_link_event(event)
                if isinstance(event, LinkStateChanged) and event.state is LinkState.STOPPED:
                    break
        finally:
            link.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
            if self._watchdog is not None:
                self._watchdog.cancel()
            while not link.events.empty():
                self._on_link_event(link.events.get_nowait())
            if self.pause is None:
                self._record(*self.session.end_records())

    # -- the link -------------------------------------------------------------------

    def _on_link_event(self, event: object) -> None:
        if isinstance(event, ReadingsReceived):
            self._on_readings(event)
            return
        if isinstance(event, LinkStateChanged):
            self.link_state, self.link_detail = event.state, event.detail
            detail = f": {event.detail}" if event.detail else ""
            log = _log.warning if event.state in (LinkState.LOST, LinkState.RECONNECTING) else _log.info
            log("sensor %s%s", event.state.value, detail)
        elif isinstance(event, SensorConnected):
            if event.rate_hz:
                self.session.set_rate(event.rate_hz)
            self.sensor_info.update(event.sensor_info())
            _log.info("connected to %s (%s), battery %s", event.name, event.model or event.kind, event.battery_percent)
        elif isinstance(event, BatteryChanged):
            self.sensor_info["battery"] = event.percent
        elif isinstance(event, LinkFailed):
            self.failure = event.reason
            _log.error("sensor link gave up: %s", event.reason)
        self._broadcast_status(force=True)

    def _on_readings(self, event: ReadingsReceived) -> None:
        if self.pause is not None:
            return  # paused: nothing reaches the engine, so nothing is recorded
        self._roll_over_day()
        update = self.session.feed(event.readings)
        self._record(*update.records)
        if self.stretch is not None:
            self._feed_stretch(event)
        for engine_event in update.events:
            if isinstance(engine_event, (CalibrationProgress, CalibrationCompleted)):
                self._on_calibration(engine_event)
            elif isinstance(engine_event, RecalibrationNeeded):
                _log.warning("recalibration needed: %s", engine_event.reason)
        for nudge in update.nudges:
            self._deliver(nudge)
        if update.snapshot is not None:
            self._broadcast_status()

    def _roll_over_day(self) -> None:
        """After midnight today's numbers start again (the history keeps yesterday)."""
        day = self.clock().date()
        if day != self._tally_day:
            self._tally_day = day
            self.session.tally = DayTally()

    def _on_calibration(self, event: CalibrationProgress | CalibrationCompleted) -> None:
        if isinstance(event, CalibrationCompleted):
            self._follow("calibration_over")
            _log.info("calibrated")
            message = "Calibrated: this is your upright."
            # The history writer stores it with the session's sensor (body_frames.py).
            if self.history is None:
                message += " (not saved: the history is not being saved)"
                _log.error("calibration not saved: the history is not being saved")
            self._send_all({"event": "calibration", "phase": "done", "message": message, "done": True})
        else:
            if event.phase == "lean":
                self._follow("lean_forward")
            self._send_all(
                {"event": "calibration", "phase": event.phase, "message": event.message, "moving": event.moving}
            )

    # -- nudges ---------------------------------------------------------------------

    def _deliver(self, nudge: Nudge) -> None:
        _log.warning("nudge: %s: %s", nudge.title, nudge.message)
        viewers = self._send_all({"event": "nudge", "kind": nudge.kind, "title": nudge.title, "message": nudge.message})
        if nudge.kind == "recalibrate":
            return
        if self.settings.nudges.desktop:
            self._spawn(self._desktop(nudge, viewers))
        if self.settings.nudges.vibrate and self.link is not None:
            self._spawn(self.link.alert(nudge.vibrate_level))

    async def _desktop(self, nudge: Nudge, viewers: int) -> None:
        was_enabled = self.notifier.enabled
        sent = await self.notifier.send(nudge.title, nudge.message)
        if not sent and was_enabled:
            where = "attached viewers and this log" if viewers else "this log"
            _log.warning("desktop notifications are unavailable; nudges go to %s", where)

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- history --------------------------------------------------------------------

    def _record(self, *records) -> None:
        if self.history is not None:
            for record in records:
                self.history.put(record)

    def _history_problem(self, message: str) -> None:
        _log.error("history: %s", message)  # from the writer thread; logging is thread-safe

    # -- pause, snooze, calibrate, stretch --------------------------------------------

    def pause_for(self, minutes: float | None) -> None:
        """Tracking rests: the episode in progress ends now and the session closes,
        so the history gets no episodes, alerts or worn time until it resumes."""
        assert self._loop is not None
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        now = self.clock().timestamp()
        if self.pause is None:
            self._record(*self.session.end_episode_now(), *self.session.end_records())
            self.stretch = None
            self.pause = Pause(now, None, None)
        if minutes is not None:
            self.pause.until_loop_s = self._loop.time() + minutes * 60
            self.pause.until_wall_s = now + minutes * 60
            self._pause_timer = self._loop.call_later(minutes * 60, self.resume)
        else:
            self.pause.until_loop_s = self.pause.until_wall_s = None
        _log.info("paused %s", f"for {minutes:g} min" if minutes else "until resumed")
        self._broadcast_status(force=True)

    def resume(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        if self.pause is None:
            return
        self.pause = None
        old = self.session
        # A fresh session: the filter restarts on fresh data, the day's tally and the
        # nudge policy (snooze, alert budget) carry on.
        self.session = LiveSession(self.settings, rate_hz=old.engine.rate_hz, frame=old.engine.frame, clock=self.clock)
        self.session.tally = old.tally
        self.session.policy = old.policy
        self._record(self.session.start_record(self.sensor.address, self.sensor.name, self.sensor.kind))
        _log.info("resumed")
        self._broadcast_status(force=True)

    def reload_settings(self) -> str:
        """The settings file read again; an error text (old settings kept) when it is bad."""
        from ..settings import SettingsError, load

        try:
            settings = load()
        except SettingsError as exc:
            return str(exc)
        self.settings = settings
        self.session.apply_settings(settings)
        self.notifier.enabled = settings.nudges.desktop
        _log.info("settings reloaded")
        return ""

    def snooze_for(self, minutes: int) -> datetime:
        until = self.session.policy.snooze(self.clock(), minutes)
        _log.info("nudges snoozed until %s", f"{until:%H:%M}")
        return until

    def _follow(self, movement: str) -> None:
        """The simulated person (``--simulate``) does what the calibration asks."""
        act = getattr(self.simulated_wearer, movement, None)
        if act is not None:
            act()

    def calibrate(self) -> None:
        self._calibrations += 1  # names this calibration (control_calibration_abandoned)
        _log.info("calibration started")
        self._record(*self.session.start_calibration())
        self._follow("sit_up")
        step = getattr(self.link.driver, "calibrate_step", None) if self.link is not None else None
        if step is not None and self.link is not None:
            self._spawn(self.link.client_write(step()))
        self._broadcast_status(force=True)

    def start_stretch(self, name: str) -> str:
        plan = plan_named(name)
        frame = self.session.engine.frame
        if frame is None:
            raise ValueError("calibrate first: a stretch is measured from your upright")
        self._record(*self.session.end_episode_now())
        self.stretch = GuidedStretch(plan, frame.up)
        return plan.title

    def _feed_stretch(self, event: ReadingsReceived) -> None:
        stretch = self.stretch
        assert stretch is not None
        snap = self.session.engine.snapshot
        stretch.feed(event.readings, snap.flexion_deg, snap.lateral_deg)
        t_s = event.readings[-1].t_s
        if not stretch.finished(t_s):
            step = stretch.step_at(t_s)
            if step is not None:
                self._send_all({"event": "stretch", "step": step[0], "text": step[1].text, "left_s": round(step[2], 1)})
            return
        result = stretch.result(t_s)
        self.stretch = None
        self.session.engine.resume()
        if result.seen_by_sensor:
            self._record(self.session.stretch_record(result, by_hand=False))
            if result.kind is StretchKind.BALANCE_CHECK:
                self._record(self.session.balance_record(result))
        self._send_all(
            {"event": "stretch", "done": True, "kind": result.kind.value, "seen_by_sensor": result.seen_by_sensor}
        )

    # -- the control channel ------------------------------------------------------

    def _hello(self) -> dict[str, Any]:
        from .. import __version__

        return {
            "pid": os.getpid(),
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "history": str(self.history_path),
        }

    # What each command of the control socket does (companion.tracker.control).

    def _refuse_while_paused(self) -> None:
        if self.pause is not None:
            raise Refused("tracking is paused: resume first")

    def control_pause(self, minutes: float | None) -> None:
        self.pause_for(minutes)

    def control_resume(self) -> None:
        self.resume()
        self.session.policy.resume()

    def control_snooze(self, minutes: int) -> None:
        self.snooze_for(minutes)

    def control_calibrate(self) -> int:
        self._refuse_while_paused()
        self.calibrate()
        return self._calibrations

    def control_calibration_abandoned(self, calibration: int) -> None:
        if calibration == self._calibrations and self.session.engine.calibration_status() is not None:
            _log.info("calibration cancelled: the terminal guiding it went away")
            self.session.engine.cancel_calibration()
            self._follow("calibration_over")
            self._broadcast_status(force=True)

    def control_stretch(self, name: str) -> str:
        self._refuse_while_paused()
        try:
            return self.start_stretch(name)
        except ValueError as exc:
            raise Refused(str(exc)) from None

    def control_reload(self) -> None:
        error = self.reload_settings()
        if error:
            raise Refused(error)

    def control_stop(self) -> None:
        self.stop()

    def _send_all(self, message: dict[str, Any]) -> int:
        return send_all(self.server, message)

    def _broadcast_status(self, *, force: bool = False) -> None:
        if self._loop is not None:
            broadcast(self.server, self, self._loop.time(), force=force)

    def status(self) -> dict[str, Any]:
        """Every field a status line or viewer may show (docs/control.md)."""
        self._roll_over_day()
        pause_left_s = None
        if self.pause is not None and self.pause.until_loop_s is not None and self._loop is not None:
            pause_left_s = max(0.0, self.pause.until_loop_s - self._loop.time())
        return status_fields(
            self.session,
            link_state=self.link_state,
            link_detail=self.link_detail,
            stats=self.link.stats if self.link else None,
            failure=self.failure,
            sensor=self.sensor_info,
            history=self.history,
            paused=self.pause is not None,
            paused_until=None if self.pause is None else self.pause.until_wall_s,
            pause_left_s=pause_left_s,
            stretching=None if self.stretch is None else self.stretch.plan.kind.value,
            started_at=self.started_at,
            now=self.clock(),
        )
