"""The ``posture`` command line.

Only what every command needs is imported here: ``posture --help`` and the commands
that read local files start in a few tens of milliseconds. Bleak, the simulator,
Bumble, Textual and numpy load inside the commands that use them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, BluetoothUnavailable, LinkLost, PostureError, SensorNotFound

if TYPE_CHECKING:
    from .ble.transport import BleTransport
    from .link import FoundSensor, SensorLink

EXIT_NO_SENSOR = EXIT_FAILURE


class CliError(PostureError):
    """A failure to report to the user as one clear line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_NO_SENSOR) -> None:
        super().__init__(message)
        self.code = self.exit_status = code


class Output:
    """Where the CLI writes: results to stdout, messages to stderr."""

    def __init__(self, json: bool = False, quiet_readings: bool = False) -> None:
        self.json = json
        self.quiet_readings = quiet_readings

    def result(self, text: str) -> None:
        print(text, flush=True)

    def message(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


async def _scan(transport: BleTransport, timeout_s: float) -> list[FoundSensor]:
    from .link import scan

    try:
        return await scan(transport, timeout_s)
    except BluetoothUnavailable as exc:
        raise CliError(
            f"Bluetooth is not available on this machine ({exc or type(exc).__name__}). "
            "Check that an adapter is present and switched on, or try --simulate."
        ) from exc


async def cmd_scan(args: argparse.Namespace, out: Output) -> int:
    from .simulation import open_transport

    async with open_transport(args.simulate) as transport:
        found = await _scan(transport, args.timeout)
    if args.json:
        out.result(json.dumps([sensor.as_json() for sensor in found]))
    else:
        for sensor in found:
            out.result(f"{sensor.name:<20} {sensor.address:<20} {sensor.kind:<12} {sensor.rssi:>4} dBm")
    if not found:
        out.message(f"No supported sensor found within {args.timeout:g} s.")
        return EXIT_NO_SENSOR
    return EXIT_OK


def _choose(found: list[FoundSensor], args: argparse.Namespace) -> FoundSensor:
    """The sensor ``--kind`` / ``--address`` ask for, else the nearest one."""
    kind, address = getattr(args, "kind", None), getattr(args, "address", None)
    wanted = [
        s for s in found
        if (kind is None or s.kind == kind) and (address is None or s.address.upper() == address.upper())
    ]
    if wanted:
        return wanted[0]
    asked = " ".join(f"{name} {value}" for name, value in (("--kind", kind), ("--address", address)) if value)
    if not found:
        raise SensorNotFound(f"No supported sensor found within {args.timeout:g} s.")
    seen = ", ".join(f"{s.name} ({s.kind}, {s.address})" for s in found)
    raise SensorNotFound(f"No sensor matching {asked} found within {args.timeout:g} s; found {seen}.")


#: Time allowed for the first connection before ``--seconds`` starts counting.
CONNECT_ALLOWANCE_S = 30.0


async def cmd_stream(args: argparse.Namespace, out: Output) -> int:
    from .link import SensorLink
    from .simulation import open_transport

    async with open_transport(args.simulate) as transport:
        found = await _scan(transport, args.timeout)
        sensor = _choose(found, args)
        out.message(f"Streaming from {sensor.name} ({sensor.kind}, {sensor.address})...")
        link = SensorLink(sensor, transport)
        return await _print_stream(link, args.seconds, out)


async def run_link_for(link: SensorLink, seconds: float | None, handle: Callable[[object], bool]) -> None:
    """Run the link for ``seconds`` of streaming (or until Ctrl-C), giving every event
    to ``handle``; stop early when ``handle`` returns False. The time taken to connect
    first does not count, up to :data:`CONNECT_ALLOWANCE_S`. Events left at the end
    are handed over too."""
    import asyncio

    from .link import LinkState, LinkStateChanged

    loop = asyncio.get_running_loop()
    runner = asyncio.create_task(link.run())
    started = loop.time()
    deadline = None if seconds is None else started + seconds + CONNECT_ALLOWANCE_S
    streaming = False
    try:
        while not runner.done():
            timeout = None if deadline is None else deadline - loop.time()
            if timeout is not None and timeout <= 0:
                break
            try:
                event = await asyncio.wait_for(link.events.get(), timeout)
            except asyncio.TimeoutError:
                break
            if (
                not streaming
                and seconds is not None
                and isinstance(event, LinkStateChanged)
                and event.state is LinkState.STREAMING
            ):
                streaming = True
                deadline = loop.time() + seconds
            if not handle(event):
                break
    finally:
        link.stop()
        await runner
        while not link.events.empty():
            handle(link.events.get_nowait())


async def _print_stream(link: SensorLink, seconds: float | None, out: Output) -> int:
    from .link import LinkFailed

    failed = ""

    def show(event: object) -> bool:
        nonlocal failed
        _print_event(event, out)
        if isinstance(event, LinkFailed):
            failed = event.reason
            return False
        return True

    await run_link_for(link, seconds, show)
    stats = link.stats
    summary = {
        "kind": link.sensor.kind,
        "address": link.sensor.address,
        "received": stats.received,
        "lost": stats.lost,
        "malformed": stats.malformed,
        "duplicates": stats.duplicates,
        "reconnects": stats.reconnects,
    }
    if out.json:
        out.result(json.dumps({"summary": summary}))
    else:
        out.result(
            f"received {stats.received}, lost {stats.lost}, malformed {stats.malformed}, "
            f"duplicates {stats.duplicates}, reconnects {stats.reconnects}"
        )
    if failed:
        raise LinkLost(failed)
    return EXIT_OK


def _print_event(event: object, out: Output) -> None:
    from .link import LinkFailed, LinkRestarted, LinkStateChanged, ReadingsReceived, SensorConnected

    if isinstance(event, ReadingsReceived):
        if out.quiet_readings:
            return
        for r in event.readings:
            if out.json:
                out.result(
                    json.dumps(
                        {
                            "t_s": round(r.t_s, 4),
                            "accel_g": [round(v, 5) for v in r.accel_g],
                            "gyro_dps": None if r.gyro_dps is None else [round(v, 3) for v in r.gyro_dps],
                            "seq": r.seq,
                        }
                    )
                )
            else:
                ax, ay, az = r.accel_g
                gyro = "" if r.gyro_dps is None else "  gyro {:+8.2f} {:+8.2f} {:+8.2f} deg/s".format(*r.gyro_dps)
                out.result(f"{r.t_s:9.3f} s  #{r.seq:<7} accel {ax:+.4f} {ay:+.4f} {az:+.4f} g{gyro}")
    elif isinstance(event, LinkStateChanged):
        detail = f": {event.detail}" if event.detail else ""
        out.message(f"[link] {event.state.value}{detail}")
    elif isinstance(event, SensorConnected):
        battery = "?" if event.battery_percent is None else f"{event.battery_percent} %"
        out.message(
            f"[link] connected to {event.name} ({event.model or event.kind}, firmware "
            f"{event.firmware or '?'}), battery {battery}, {event.rate_hz or '?'} Hz, MTU {event.mtu}"
        )
    elif isinstance(event, LinkFailed):
        out.message(f"[link] gave up: {event.reason}")
    elif isinstance(event, LinkRestarted):
        out.message(f"[link] restarted after an unexpected error: {event.reason}")


async def cmd_record(args: argparse.Namespace, out: Output) -> int:
    from .paths import create_private_file
    from .link import ReadingsReceived, SensorLink
    from .recording import write_header, write_readings
    from .simulation import open_transport

    path = Path(args.out)
    try:
        handle = create_private_file(path, exclusive=False)  # owner-only from the first byte
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
    with handle:
        async with open_transport(args.simulate, wearer=args.simulate) as transport:
            found = await _scan(transport, args.timeout)
            sensor = _choose(found, args)
            out.message(
                f"Recording from {sensor.name} ({sensor.kind}, {sensor.address}) to {path}... "
                "Sit upright and still for the first few seconds: analyze takes upright from them."
            )
            link = SensorLink(sensor, transport)
            from .body_frames import load_frame

            # What analyze needs to judge the recording as the live session would.
            metadata: dict[str, object] = {"kind": sensor.kind, "rate_hz": link.driver.rate_hz}
            frame = load_frame(sensor.address)
            if frame is not None:
                metadata["calibration"] = frame.as_dict()
            write_header(handle, metadata)
            written = 0
            quiet = Output(json=False, quiet_readings=True)

            def save(event: object) -> bool:
                nonlocal written
                if isinstance(event, ReadingsReceived):
                    written += write_readings(handle, event.readings)
                else:
                    _print_event(event, quiet)
                return True

            await run_link_for(link, args.seconds, save)
    stats = link.stats
    out.message(f"wrote {written} samples; lost {stats.lost}, malformed {stats.malformed}")
    return EXIT_OK


async def cmd_analyze(args: argparse.Namespace, out: Output) -> int:
    from .analysis import analyze
    from .engine import CalibrationError, EngineSettings, SettingError
    from .recording import RecordingError

    try:
        settings = EngineSettings(threshold_deg=args.threshold, delay_s=args.delay)
    except SettingError as exc:
        option = {"threshold_deg": "--threshold", "delay_s": "--delay"}.get(exc.key, exc.key)
        raise CliError(f"{option} {exc.value:g} is not allowed: {exc.allowed}", EXIT_USAGE) from exc
    try:
        result = analyze(Path(args.file), settings, calibration=args.calibrate, lean=args.lean)
    except RecordingError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except CalibrationError as exc:
        raise CliError(f"{args.file}: cannot calibrate: {exc}", EXIT_USAGE) from exc
    for notice in result.notices:
        out.message(f"{args.file}: {notice}")
    if args.json:
        out.result(json.dumps(result.as_json()))
        return EXIT_OK
    out.result(
        f"{args.file}: {result.samples} samples, {result.duration_s:.0f} s at {result.rate_hz:.1f} Hz "
        f"({result.worn_s:.0f} s worn, {len(result.gaps)} gap(s)); "
        f"upright from {result.calibration[0]:g}-{result.calibration[1]:g} s, forward "
        f"{result.forward_from if result.forward_from.startswith('not needed') else 'from the ' + result.forward_from}"
    )
    out.result(f"threshold {settings.threshold_deg:g} deg, alert after {settings.delay_s:g} s")
    if not result.episodes:
        out.result("no slouch episodes")
    for ep in result.episodes:
        end = "still slouching at the end" if ep["end_s"] is None else f"to {ep['end_s']:.0f} s"
        detail = "" if ep["peak_deg"] is None else f", peak {ep['peak_deg']:.0f} deg, mean {ep['mean_deg']:.0f} deg"
        out.result(f"slouch from {ep['start_s']:.0f} s {end}{detail}{' (alerted)' if ep['alerted'] else ''}")
    for alert in result.alerts:
        out.result(f"alert at {alert['t_s']:.0f} s: {alert['kind']} {alert['angle_deg']:.0f} deg")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: Output) -> int:
    from .ui.app import make_app

    make_app(demo=True).run()
    return EXIT_OK


def cmd_app(args: argparse.Namespace, out: Output) -> int:
    """The app on the remembered sensor; the sensor screen when none is; the demo
    when none is remembered and this machine has no Bluetooth."""
    from .cli_tracker import view_running_tracker
    import asyncio

    from .settings import load
    from .ui.app import make_app

    if (code := view_running_tracker(out)) is not None:
        return code
    settings = load()
    if args.kind or args.address:
        async def find() -> FoundSensor:
            return _choose(await _scan(BleTransport.system(), args.timeout), args)

        make_app(settings=settings, sensor=asyncio.run(find())).run()
        return EXIT_OK
    demo = settings.sensor is None and not asyncio.run(_bluetooth_available())
    notice = "No sensor remembered and no Bluetooth here: starting the simulated demo." if demo else ""
    make_app(demo=demo, settings=settings, notice=notice).run()
    return EXIT_OK


async def _bluetooth_available() -> bool:
    from .ble.transport import BleTransport
    from .link import scan

    try:
        await scan(BleTransport.system(), 0.5)
    except BluetoothUnavailable:
        return False
    return True


def _open_history():
    from .history import HistoryError, HistoryStore, default_path

    try:
        return HistoryStore(default_path(), readonly=True)
    except HistoryError as exc:
        raise CliError(str(exc), EXIT_NO_SENSOR) from exc


def cmd_report(args: argparse.Namespace, out: Output) -> int:
    import sqlite3

    from .history.report import build_report

    store = _open_history()
    try:
        report = build_report(store, args.days)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{store.path} could not be read ({exc}); try `posture check-history`") from exc
    finally:
        store.close()
    if args.json:
        out.result(json.dumps(report.as_json()))
        return EXIT_OK
    out.result(
        f"{'day':<12}{'upright':>8}{'worn':>8}{'episodes':>9}{'alerts':>7}{'held back':>10}{'longest':>9}{'stretches':>10}"
    )
    for day in report.days:
        share = "-" if day.upright_share is None else f"{day.upright_share:.0%}"
        tracked = f"{day.tracked_s / 3600:.1f} h"
        longest = f"{day.longest_slouch_s / 60:.1f} min" if day.longest_slouch_s else "-"
        out.result(
            f"{day.day:<12}{share:>8}{tracked:>8}{day.episodes:>9}{day.alerts:>7}{day.alerts_held_back:>10}"
            f"{longest:>9}{day.stretches:>10}"
        )
    out.result(report.summary())
    return EXIT_OK


def _result_to_pipe(out: Output, text: str) -> None:
    """Print a result that may go to ``head``: a reader that stops early is not an error."""
    import os

    try:
        out.result(text)
    except BrokenPipeError:
        # Python would report the pipe again when flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _export_targets(args: argparse.Namespace, tables: Sequence[str]) -> list[tuple[str, Path]]:
    """(table or "all", file) pairs to write, checked before anything is written:
    never the history store or its WAL, never an existing file without --force."""
    import os

    from .history.store import default_path, sidecars

    output = Path(args.output).expanduser()
    if args.format == "csv" and args.table is None:
        if output.exists() and not output.is_dir():
            raise CliError(
                f"-o {output}: CSV holds one table per file; give a folder for one file each, "
                "or choose one with --table", EXIT_USAGE,
            )
        targets = [(name, output / f"{name}.csv") for name in tables]
    else:
        if output.is_dir():
            raise CliError(f"-o {output} is a folder; give a file name", EXIT_USAGE)
        targets = [(tables[0] if args.table else "all", output)]
    store = default_path()
    protected = [store, *sidecars(store)]
    for _name, path in targets:
        for guarded in protected:
            same = os.path.abspath(path) == os.path.abspath(guarded)
            if not same and path.exists() and guarded.exists():
                same = path.samefile(guarded)
            if same:
                raise CliError(f"refusing to write over the history itself ({guarded})", EXIT_USAGE)
        if (path.exists() or path.is_symlink()) and not args.force:
            raise CliError(f"{path} exists; add --force to replace it", EXIT_USAGE)
    return targets


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    import sqlite3
    from datetime import datetime as _dt

    from .history.export import TABLES, collect, to_csv, to_json
    from .paths import create_private_file

    since_s = 0.0
    if args.since:
        try:
            since_s = _dt.fromisoformat(args.since).timestamp()
        except ValueError:
            raise CliError(f"--since {args.since!r} is not a date like 2026-11-01", EXIT_USAGE) from None
    if args.format == "csv" and args.table is None and not args.output:
        raise CliError(
            f"CSV holds one table: choose it with --table ({'|'.join(TABLES)}), or write one file each with -o DIR",
            EXIT_USAGE,
        )
    tables = [args.table] if args.table else list(TABLES)
    targets = _export_targets(args, tables) if args.output else []
    store = _open_history()
    try:
        data = collect(store, since_s)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{store.path} could not be read ({exc}); try `posture check-history`") from exc
    finally:
        store.close()
    if args.table and args.format == "json":
        data = {args.table: data[args.table]}

    def render(name: str) -> str:
        return to_json(data) if args.format == "json" else to_csv(data, name)

    if not targets:
        _result_to_pipe(out, render(tables[0]).rstrip("\n"))
        return EXIT_OK
    for name, path in targets:
        try:
            with create_private_file(path, exclusive=not args.force) as handle:
                handle.write(render(name))
        except FileExistsError:
            raise CliError(f"{path} exists; add --force to replace it", EXIT_USAGE) from None
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
        rows = len(data[name]) if name in data else sum(len(v) for v in data.values())
        out.message(f"wrote {rows} {name if name != 'all' else 'rows'} to {path}")
    return EXIT_OK


def cmd_check_history(args: argparse.Namespace, out: Output) -> int:
    from .history import HistoryCorrupt, HistoryError
    from .history.store import default_path, inspect, set_aside

    path = default_path()
    if not path.exists():
        out.message(f"no history yet at {path}")
        return EXIT_OK
    try:
        version = inspect(path)
    except HistoryCorrupt as exc:
        if not args.set_aside:
            raise CliError(str(exc)) from exc
        try:
            moved = set_aside(path)
        except OSError as os_exc:
            raise CliError(f"cannot move {path} aside: {os_exc.strerror or os_exc}") from os_exc
        out.message(f"{path} was damaged; kept as {moved}. A new history starts with the next run.")
        return EXIT_OK
    except HistoryError as exc:
        raise CliError(str(exc)) from exc
    out.message(f"{path}: a sound posture history (schema {version})")
    return EXIT_OK


def _window(text: str) -> tuple[float, float]:
    try:
        start, end = (float(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END in seconds, got {text!r}") from None
    if not 0 <= start < end:
        raise argparse.ArgumentTypeError(f"START must be >= 0 and below END, got {text!r}")
    return start, end


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posture",
        description="Posture companion: a BLE motion sensor on your upper back, "
        "live posture feedback in the terminal, local history. Not a medical device.",
    )
    parser.add_argument("--version", action="version", version=f"posture {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log link details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    add("demo", cmd_demo, "Open the app on a simulated sensor worn by a simulated person (no hardware).")
    p = add("app", cmd_app, "Open the app on the remembered sensor (the default command).")
    _sensor_options(p)
    p.add_argument("--timeout", type=_positive_float, default=5.0, metavar="S", help="with --kind/--address, scan for up to S seconds (default 5)")

    p = add("scan", cmd_scan, "List supported sensors in range.")
    p.add_argument("--simulate", action="store_true", help="scan a virtual radio with simulated sensors")
    p.add_argument("--timeout", type=_positive_float, default=5.0, metavar="S", help="scan for S seconds (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list of {name, address, kind, rssi}")

    p = add("stream", cmd_stream, "Print decoded readings from the nearest sensor.")
    p.add_argument("--simulate", action="store_true", help="stream from a simulated sensor")
    p.add_argument("--seconds", type=_positive_float, default=None, metavar="N", help="stop after N seconds of streaming (default: until Ctrl-C)")
    p.add_argument("--timeout", type=_positive_float, default=5.0, metavar="S", help="scan for up to S seconds (default 5)")
    p.add_argument("--json", action="store_true", help="JSON lines: t_s, accel_g, gyro_dps, seq; then a summary with kind and address")
    _sensor_options(p)

    p = add("record", cmd_record, "Record raw readings to a CSV file (t,ax,ay,az,gx,gy,gz).")
    p.add_argument("out", metavar="OUT.csv", help="file to write")
    p.add_argument("--simulate", action="store_true", help="record a simulated wearer")
    p.add_argument("--seconds", type=_positive_float, default=None, metavar="N", help="stop after N seconds of streaming (default: until Ctrl-C)")
    p.add_argument("--timeout", type=_positive_float, default=5.0, metavar="S", help="scan for up to S seconds (default 5)")
    _sensor_options(p)

    p = add("analyze", cmd_analyze, "Replay a recording through the posture engine, with other thresholds if wanted.")
    p.add_argument("file", metavar="FILE.csv", help="recording with header t,ax,ay,az,gx,gy,gz")
    p.add_argument("--calibrate", type=_window, metavar="START:END", help="take upright from this window (default: the recorded calibration, else the first 4 s of sitting still)")
    p.add_argument("--lean", type=_window, metavar="START:END", help="take forward from this window of leaning forward, as the guided calibration does")
    p.add_argument("--threshold", type=float, default=12.0, metavar="DEG", help="forward flexion beyond upright that counts (default 12)")
    p.add_argument("--delay", type=float, default=30.0, metavar="S", help="seconds held before an alert: 5, 15, 30, 60 or 120 (default 30)")
    p.add_argument("--json", action="store_true", help="frames (one per second), episodes and alerts as JSON")

    p = add("report", cmd_report, "Per-day upright share, episodes, alerts, longest slouch, stretches.")
    p.add_argument("--days", type=_positive_int, default=7, metavar="N", help="the last N days (default 7)")
    p.add_argument("--json", action="store_true", help="days and the hour you slouch most, as JSON")

    p = add("export", cmd_export, "Export episodes, time bins, stretches, alerts and days (formats in docs/history.md).")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default, one table per file) or json")
    p.add_argument("--table", choices=("episodes", "bins", "stretches", "alerts", "days"),
                   help="only this table (CSV: required unless -o names a folder)")
    p.add_argument("--since", metavar="DATE", help="only from this date on (YYYY-MM-DD)")
    p.add_argument("-o", "--output", metavar="FILE|DIR",
                   help="write to FILE (or, for CSV of every table, one file each in DIR) instead of standard output")
    p.add_argument("--force", action="store_true", help="replace files that exist (never the history itself)")

    p = add("check-history", cmd_check_history, "Check the history file; with --set-aside keep a damaged one aside.")
    p.add_argument("--set-aside", action="store_true", help="move a damaged history aside so a new one starts")

    from .cli_plan import add_parser as add_plan

    add_plan(add)
    from .cli_tracker import add_tracker_commands

    add_tracker_commands(add)
    return parser


def _sensor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", type=_sensor_kind, metavar="KIND", help="the nearest sensor of this kind: reference, witmotion, upright_go or microbit")
    p.add_argument("--address", type=_address, metavar="ADDR", help="the sensor with this address (as `posture scan` lists it)")


def _sensor_kind(text: str) -> str:
    from .drivers import DRIVERS

    kinds = [driver.kind for driver in DRIVERS]
    if text not in kinds:
        raise argparse.ArgumentTypeError(f"unknown sensor kind {text!r}; known: {', '.join(kinds)}")
    return text


def _address(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an address is required, e.g. F0:00:00:00:00:01")
    return text.strip().upper()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1 or value > 3650:
        raise argparse.ArgumentTypeError(f"must be from 1 to 3650, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.CRITICAL,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        args = parser.parse_args(["app"])
    out = Output(json=getattr(args, "json", False))
    try:
        outcome = args.handler(args, out)
        if isinstance(outcome, Coroutine):
            import asyncio

            outcome = asyncio.run(outcome)
        return outcome
    except PostureError as exc:  # one line and the class's exit status (docs/cli.md)
        out.message(f"posture: {exc}")
        return exc.exit_status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
