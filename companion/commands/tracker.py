"""The tracker's commands: track, status, pause, resume, snooze, calibrate, service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from ..tracker.client import CommandFailed, NoTracker, TrackerConnection, request
from ..tracker.status_command import EXIT_NO_TRACKER, NO_TRACKER_HINT
from ..tracker.status_command import TIMEOUT_S as STATUS_TIMEOUT_S
from .output import EXIT_NO_SENSOR, EXIT_OK, EXIT_USAGE, CliError, Output

CALIBRATION_TIMEOUT_S = 120.0


def _talk(cmd: str, timeout_s: float = 2.0, **fields):
    try:
        return request(cmd, timeout_s=timeout_s, **fields)
    except NoTracker as exc:
        raise CliError(f"{exc}; {NO_TRACKER_HINT}", EXIT_NO_TRACKER) from None
    except CommandFailed as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


# -- track ---------------------------------------------------------------------------


def _simulated_factory(kind: str):
    from ..sim import ReferenceSensor
    from ..sim.microbit import MicrobitSensor
    from ..sim.upright import UprightGoSensor
    from ..sim.witmotion import WitMotionSensor
    from ..sim.world import TrackedWearer

    classes = {
        "reference": ReferenceSensor,
        "witmotion": WitMotionSensor,
        "upright_go": UprightGoSensor,
        "microbit": MicrobitSensor,
    }
    wearer = TrackedWearer()
    return lambda radio: classes[kind](radio, motion=wearer), wearer


@contextlib.asynccontextmanager
async def _sensor_and_transport(args: argparse.Namespace, settings):
    from ..ble.transport import BleTransport
    from ..link import FoundSensor, scan

    if args.simulate:
        from ..sim.world import simulated_radio

        factory, wearer = _simulated_factory(args.kind or "reference")
        async with simulated_radio(factory) as (radio, _sensors):
            transport = BleTransport.virtual(radio)
            found = await scan(transport, 1.0)
            if not found:
                raise CliError("the simulated sensor did not advertise")
            yield found[0], transport, wearer
        return
    remembered = settings.sensor
    address = args.address or (remembered.address if remembered else None)
    if address is None:
        raise CliError(
            "no sensor remembered: pick one in the app (`posture`), or pass --address and --kind "
            "(see `posture scan`), or try --simulate",
            EXIT_USAGE,
        )
    same = remembered is not None and remembered.address == address
    kind = args.kind or (remembered.kind if same else None)
    name = args.name or (remembered.name if same and remembered.name else address)
    transport = BleTransport.system()
    if kind is None:
        found = [s for s in await scan(transport, 5.0) if s.address.lower() == address.lower()]
        if not found:
            raise CliError(f"sensor {address} is not in range and --kind is not given")
        yield found[0], transport, None
        return
    yield FoundSensor(name, address, kind, 0), transport, None


def _log_to_stderr(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("companion.tracker")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


async def cmd_track(args: argparse.Namespace, out: Output) -> int:
    from ..settings import load
    from ..tracker import AlreadyRunning, lock_path
    from ..tracker.lock import holder_pid, is_locked
    from ..tracker.tracker import Tracker

    if is_locked(lock_path()):
        pid = holder_pid(lock_path())
        raise CliError(f"a tracker is already running for this home (pid {pid or '?'}); `posture status` shows it")
    settings = load()
    _log_to_stderr(args.verbose)
    history_path: Path | None = None  # the default history
    if args.simulate:  # made-up data never mixes with the person's history
        from ..paths import data_dir

        history_path = data_dir() / "demo" / "history.sqlite3"
    async with _sensor_and_transport(args, settings) as (sensor, transport, wearer):
        tracker = Tracker(settings, transport, sensor, history_path=history_path, simulated_wearer=wearer)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, tracker.stop)
        try:
            await tracker.run()
        except AlreadyRunning as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(
                f"cannot start the tracker: {exc.strerror or exc} ({exc.filename or tracker.socket_file})"
            ) from None
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
    out.message("posture: tracker stopped")
    if tracker.failure:
        raise CliError(tracker.failure)
    return EXIT_OK


# -- status and one-shot commands --------------------------------------------------------


def cmd_status(args: argparse.Namespace, out: Output) -> int:
    from ..tracker.status_command import run

    return run(args)


def _at(timestamp: float | None) -> str:
    from datetime import datetime

    return "" if timestamp is None else f"{datetime.fromtimestamp(timestamp):%H:%M}"


def cmd_pause(args: argparse.Namespace, out: Output) -> int:
    status = _talk("pause", minutes=args.minutes)["status"]
    if args.minutes:
        out.result(
            f"paused for {args.minutes:g} min (until {_at(status['paused_until'])}); `posture resume` ends it sooner"
        )
    else:
        out.result("paused until `posture resume`")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace, out: Output) -> int:
    """Ends a pause and a snooze, and says which it ended."""
    before = _talk("status")["status"]
    _talk("resume")
    ended = [
        *(["tracking resumed"] if before.get("paused") else []),
        *([f"nudges back on (snoozed until {_at(before['snoozed_until'])})"] if before.get("snoozed_until") else []),
    ]
    out.result("; ".join(ended) if ended else "nothing was paused or snoozed: tracking and nudges are on")
    return EXIT_OK


def cmd_snooze(args: argparse.Namespace, out: Output) -> int:
    status = _talk("snooze", minutes=args.minutes)["status"]
    out.result(f"nudges snoozed until {_at(status['snoozed_until'])}; tracking goes on")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace, out: Output) -> int:
    """Guided in the terminal: the tracker's progress messages and a countdown."""
    try:
        connection = TrackerConnection(timeout_s=CALIBRATION_TIMEOUT_S)
    except NoTracker as exc:
        raise CliError(f"{exc}; {NO_TRACKER_HINT}", EXIT_NO_TRACKER) from None
    with connection:
        try:
            connection.request("subscribe", rate_hz=4)
            connection.request("calibrate")
        except CommandFailed as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        out.result("Sit upright and still, looking ahead, for a few seconds.")
        last_count = None
        for message in connection.events():
            event = message.get("event")
            if event == "calibration":
                out.result(message["message"])
                if message.get("done"):
                    return EXIT_OK
            elif event == "snapshot":
                calibration = message["status"].get("calibration")
                if calibration and calibration["held_s"] > 0:
                    left = max(0, int(calibration["needed_s"] - calibration["held_s"] + 0.999))
                    if left != last_count and left > 0:
                        last_count = left
                        out.result(f"  {left}...")
                if message["status"]["state"] in ("lost", "reconnecting"):
                    raise CliError("the sensor is not streaming; calibration needs it")
            elif event == "bye":
                raise CliError("the tracker stopped during calibration")
    return EXIT_NO_SENSOR


# -- the app -------------------------------------------------------------------------


def view_running_tracker(out: Output) -> int | None:
    """Open the app as a viewer when a tracker or a tracking window answers on the
    control socket (the exit status), refuse when the home is locked by one that does
    not answer, or None: the app tracks in-process. Either way the app needs a
    terminal (``need_terminal``), asked once it is known that one would open."""
    from ..tracker import lock_path
    from ..tracker.lock import holder_pid, is_locked
    from .app import need_terminal

    try:
        TrackerConnection(timeout_s=1.0).close()
    except NoTracker:
        if is_locked(lock_path()):
            pid = holder_pid(lock_path())
            raise CliError(
                f"another posture window (pid {pid or '?'}) is recording this home but does not answer; "
                "switch to it, or close it and run `posture track`"
            ) from None
        need_terminal("posture")
        out.message(
            "No tracker is running: tracking in this window until it closes "
            "(`posture track` or `posture service install` tracks without a window)."
        )
        return None
    from ..ui.viewer import ViewerApp

    need_terminal("posture")
    app = ViewerApp()
    code = app.run()
    return app.return_code or (code if isinstance(code, int) else 0) or EXIT_OK


# -- service --------------------------------------------------------------------------


def cmd_service(args: argparse.Namespace, out: Output) -> int:
    from ..settings import load
    from ..tracker.service import run_commands, service_file, track_command

    if args.action == "status":
        unit = service_file([])
        installed = unit.path.exists()
        out.result(
            f"{unit.manager} {'unit' if unit.manager == 'systemd' else 'agent'} {unit.path}: "
            f"{'installed' if installed else 'not installed'}"
        )
        problems = run_commands((unit.status,)) if installed else []
        for problem in problems:
            out.message(f"posture: {problem}")
        with contextlib.suppress(NoTracker):
            status = request("status", timeout_s=STATUS_TIMEOUT_S)["status"]
            out.result(f"tracker pid {status['pid']}: {status['state']}")
        return EXIT_OK if installed else EXIT_NO_SENSOR
    if args.action == "uninstall":
        unit = service_file([])
        if not unit.path.exists():
            out.message(f"posture: nothing to uninstall: {unit.path} does not exist")
            return EXIT_OK
        if args.dry_run:
            out.result(f"would remove {unit.path}")
            return EXIT_OK
        problems = run_commands(unit.disable[:1])
        unit.path.unlink()
        problems += run_commands(unit.disable[1:])
        out.result(f"removed {unit.path}")
        for problem in problems:
            out.message(f"posture: {problem}")
        return EXIT_OK
    settings = load()
    sensor = settings.sensor
    if args.address:
        address, kind, name = args.address, args.kind, ""
        if kind is None:
            raise CliError("--address needs --kind (see `posture scan`)", EXIT_USAGE)
    elif sensor is not None:
        address, kind, name = sensor.address, sensor.kind, sensor.name
    else:
        raise CliError(
            "no sensor remembered: pick one in the app (`posture`) first, or pass --address and --kind", EXIT_USAGE
        )
    unit = service_file(track_command(address, kind, name))
    if args.dry_run:
        out.result(unit.text.rstrip("\n"))
        return EXIT_OK
    from ..paths import ensure_private_dir

    ensure_private_dir(unit.path.parent)
    temporary = unit.path.with_suffix(".tmp")
    temporary.write_text(unit.text)
    temporary.replace(unit.path)
    out.result(f"wrote {unit.path}:")
    out.result(unit.text.rstrip("\n"))
    problems = run_commands(unit.enable)
    for problem in problems:
        out.message(f"posture: {problem}")
    if not problems:
        out.result("enabled and started; `posture status` shows it")
    return EXIT_OK if not problems else EXIT_NO_SENSOR
