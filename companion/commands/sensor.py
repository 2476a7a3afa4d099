"""``posture scan``, ``stream`` and ``record``: finding a sensor and reading from it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_INTERRUPTED, LinkLost, SensorNotFound
from .output import EXIT_NO_SENSOR, EXIT_OK, EXIT_USAGE, CliError, Output

if TYPE_CHECKING:
    from ..ble.transport import BleTransport
    from ..link import FoundSensor, SensorLink


async def _scan(
    transport: BleTransport, timeout_s: float, until: Callable[[FoundSensor], bool] | None = None
) -> list[FoundSensor]:
    from ..errors import BluetoothUnavailable
    from ..link import scan

    try:
        return await scan(transport, timeout_s, until)
    except BluetoothUnavailable as exc:
        raise CliError(
            f"Bluetooth is not available on this machine ({exc or type(exc).__name__}). "
            "Check that an adapter is present and switched on, or try --simulate."
        ) from exc


async def cmd_scan(args: argparse.Namespace, out: Output) -> int:
    from ..simulation import open_transport

    async with open_transport(args.simulate) as transport:
        found = await _scan(transport, args.timeout)
    if args.json:
        out.result(json.dumps([sensor.as_json() for sensor in found]))
    elif found:
        out.result(_scan_table(found))
    if not found:
        out.message(f"No supported sensor found within {args.timeout:g} s.")
        return EXIT_NO_SENSOR
    return EXIT_OK


#: The widest a name gets in ``scan``'s table; longer ones end in an ellipsis.
NAME_WIDTH_MAX = 32


def _scan_table(found: list[FoundSensor]) -> str:
    """Name, address, kind and signal in columns sized to what was found."""

    def clip(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "\u2026"

    rows = [(clip(s.name, NAME_WIDTH_MAX), s.address, s.kind, f"{s.rssi} dBm") for s in found]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    signal = max(len(row[3]) for row in rows)
    return "\n".join(
        f"{name:<{widths[0]}}  {address:<{widths[1]}}  {kind:<{widths[2]}}  {rssi:>{signal}}"
        for name, address, kind, rssi in rows
    )


def _remembered_address(args: argparse.Namespace) -> str | None:
    """The remembered sensor's address when neither ``--kind`` nor ``--address`` is given."""
    if getattr(args, "kind", None) or getattr(args, "address", None):
        return None
    from ..errors import PostureError
    from ..settings import load

    try:
        remembered = load().sensor
    except PostureError:  # a damaged settings file must not stop a raw stream; the app reports it
        return None
    return None if remembered is None else remembered.address.upper()


def _wanted(args: argparse.Namespace) -> Callable[[FoundSensor], bool]:
    """Whether a sensor is the one asked for: ``--kind`` / ``--address``, else the
    remembered sensor, else any."""
    kind, address = getattr(args, "kind", None), getattr(args, "address", None)
    remembered = _remembered_address(args)

    def wanted(s: FoundSensor) -> bool:
        if remembered is not None:
            return s.address.upper() == remembered
        return (kind is None or s.kind == kind) and (address is None or s.address.upper() == address.upper())

    return wanted


def _choose(found: list[FoundSensor], args: argparse.Namespace, out: Output | None = None) -> FoundSensor:
    """The sensor ``--kind`` / ``--address`` ask for; with neither, the remembered
    sensor if it was heard, else the nearest one heard."""
    kind, address = getattr(args, "kind", None), getattr(args, "address", None)
    if not found:
        raise SensorNotFound(f"No supported sensor found within {args.timeout:g} s.")
    if not kind and not address:
        remembered = _remembered_address(args)
        heard = next((s for s in found if s.address.upper() == remembered), None)
        if heard is not None:
            return heard
        if remembered is not None and out is not None:
            out.message(f"The remembered sensor {remembered} did not advertise; using the nearest one.")
        return found[0]
    wanted = [s for s in found if _wanted(args)(s)]
    if wanted:
        return wanted[0]
    asked = " ".join(f"{name} {value}" for name, value in (("--kind", kind), ("--address", address)) if value)
    seen = ", ".join(f"{s.name} ({s.kind}, {s.address})" for s in found)
    raise SensorNotFound(f"No sensor matching {asked} found within {args.timeout:g} s; found {seen}.")


#: Time allowed for the first connection before ``--seconds`` starts counting.
CONNECT_ALLOWANCE_S = 30.0


async def cmd_stream(args: argparse.Namespace, out: Output) -> int:
    from ..link import SensorLink
    from ..simulation import open_transport

    async with open_transport(args.simulate) as transport:
        found = await _scan(transport, args.timeout, until=_wanted(args))
        sensor = _choose(found, args, out)
        out.message(f"Streaming from {sensor.name} ({sensor.kind}, {sensor.address})...")
        link = SensorLink(sensor, transport)
        return await _print_stream(link, args.seconds, out)


async def run_link_for(link: SensorLink, seconds: float | None, handle: Callable[[object], bool]) -> None:
    """Run the link for ``seconds`` of streaming (or until Ctrl-C), giving every event
    to ``handle``; stop early when ``handle`` returns False. The time taken to connect
    first does not count, up to :data:`CONNECT_ALLOWANCE_S`. Events left at the end
    are handed over too."""
    import asyncio

    from ..link import LinkState, LinkStateChanged

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
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation
            # (Ctrl-C) that lands as the queue hands over an event, and streaming went on.
            try:
                async with asyncio.timeout(timeout):
                    event = await link.events.get()
            except TimeoutError:
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
    from ..link import LinkFailed

    failed = ""

    def show(event: object) -> bool:
        nonlocal failed
        _print_event(event, out)
        if isinstance(event, LinkFailed):
            failed = event.reason
            return False
        return True

    import asyncio

    interrupted = False
    try:
        await run_link_for(link, seconds, show)
    except asyncio.CancelledError:  # Ctrl-C: the summary still counts what came
        interrupted = True
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
    if interrupted:
        return EXIT_INTERRUPTED
    if failed:
        raise LinkLost(failed)
    return EXIT_OK


def _print_event(event: object, out: Output) -> None:
    from ..link import LinkFailed, LinkRestarted, LinkStateChanged, ReadingsReceived, SensorConnected

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
    import asyncio

    from ..body_frames import load_frame
    from ..link import ReadingsReceived, SensorConnected, SensorLink
    from ..paths import create_private_file
    from ..recording import write_header, write_readings
    from ..simulation import open_transport

    path = Path(args.out)
    if path.is_dir():  # noqa: ASYNC240 - one stat before the loop has work
        raise CliError(f"{path} is a folder; name a file in it, such as {path / 'recording.csv'}", EXIT_USAGE)
    if path.exists() and not args.force:  # noqa: ASYNC240 - one stat before the loop has work
        raise CliError(f"{path} exists; add --force to replace it", EXIT_USAGE)
    async with open_transport(args.simulate, wearer=args.simulate) as transport:
        found = await _scan(transport, args.timeout, until=_wanted(args))
        sensor = _choose(found, args, out)
        # Opened only now: a scan that finds nothing leaves no empty file behind.
        try:
            handle = create_private_file(path, exclusive=not args.force)  # owner-only from the first byte
        except FileExistsError:
            raise CliError(f"{path} exists; add --force to replace it", EXIT_USAGE) from None
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
        with handle:
            # What analyze needs to judge the recording as the live session would. The
            # rate is known once the sensor has said it, so the line waits for that.
            metadata: dict[str, object] = {}
            if args.simulate:
                # The simulated wearer's own mounting, as its guided calibration finds
                # it: analyze reads the recording calibrated, as it reads a real one
                # recorded after calibrating. (A sensor whose case fixes how it sits
                # reports in its own frame, and analyze needs nothing more for it.)
                from ..analysis import MOUNTING_FORWARD
                from ..sim.world import demo_wearer_calibration

                if sensor.kind not in MOUNTING_FORWARD:
                    metadata["calibration"] = demo_wearer_calibration()
            elif (frame := load_frame(sensor.address)) is not None:
                metadata["calibration"] = frame.as_dict()
            out.message(
                f"Recording from {sensor.name} ({sensor.kind}, {sensor.address}) to {path}... "
                + (
                    "with the sensor's calibration: analyze reads the recording as the live session would."
                    if "calibration" in metadata
                    else "Sit upright and still for the first few seconds: analyze takes upright from them."
                )
            )
            link = SensorLink(sensor, transport)
            header_written = False
            written = 0
            quiet = Output(json=False, quiet_readings=True)

            def header(rate_hz: float | None) -> None:
                nonlocal header_written
                if not header_written:
                    write_header(handle, {"kind": sensor.kind, "rate_hz": rate_hz, **metadata})
                    header_written = True

            def save(event: object) -> bool:
                nonlocal written
                if isinstance(event, SensorConnected):
                    header(event.rate_hz or link.driver.rate_hz)
                if isinstance(event, ReadingsReceived):
                    header(link.driver.rate_hz)
                    written += write_readings(handle, event.readings)
                else:
                    _print_event(event, quiet)
                return True

            interrupted = False
            try:
                await run_link_for(link, args.seconds, save)
            except asyncio.CancelledError:  # Ctrl-C: what was recorded is kept and counted
                interrupted = True
            header(link.driver.rate_hz)
    stats = link.stats
    out.message(f"wrote {written} samples to {path}; lost {stats.lost}, malformed {stats.malformed}")
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK
