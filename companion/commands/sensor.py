"""``posture scan``, ``stream`` and ``record``: finding a sensor and reading from it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LinkLost, SensorNotFound
from .output import EXIT_NO_SENSOR, EXIT_OK, EXIT_USAGE, CliError, Output

if TYPE_CHECKING:
    from ..ble.transport import BleTransport
    from ..link import FoundSensor, SensorLink


async def _scan(transport: BleTransport, timeout_s: float) -> list[FoundSensor]:
    from ..errors import BluetoothUnavailable
    from ..link import scan

    try:
        return await scan(transport, timeout_s)
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
    from ..link import SensorLink
    from ..simulation import open_transport

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
            try:
                event = await asyncio.wait_for(link.events.get(), timeout)
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
    from ..paths import create_private_file
    from ..link import ReadingsReceived, SensorLink
    from ..recording import write_header, write_readings
    from ..simulation import open_transport

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
            from ..body_frames import load_frame

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
