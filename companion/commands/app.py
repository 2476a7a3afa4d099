"""``posture`` (the app) and ``posture demo``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .output import EXIT_OK, Output
from .sensor import _choose, _scan

if TYPE_CHECKING:
    from ..link import FoundSensor


def need_terminal(command: str) -> None:
    """The app reads keys from stdin and draws on stderr (Textual): without a terminal
    there it would draw into a file or wait for keys that never come."""
    import sys

    from ..errors import UsageError

    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(
            f"`{command}` is an app for a terminal, and this one has none on stdin or stderr; "
            "run it in a terminal (`posture track` tracks without one, `posture status` reads it)"
        )


def cmd_demo(args: argparse.Namespace, out: Output) -> int:
    from ..ui.app import make_app

    app = make_app(demo=True)  # its settings are checked first
    need_terminal("posture demo")
    app.run()
    return EXIT_OK


def cmd_app(args: argparse.Namespace, out: Output) -> int:
    """The app on the remembered sensor; the sensor screen when none is; the demo
    when none is remembered and this machine has no Bluetooth."""
    import asyncio

    from ..ble.transport import BleTransport
    from ..settings import load
    from ..ui.app import make_app
    from .tracker import view_running_tracker

    if (code := view_running_tracker(out)) is not None:  # it asks for a terminal first
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
    from ..ble.transport import BleTransport
    from ..errors import BluetoothUnavailable
    from ..link import scan

    try:
        await scan(BleTransport.system(), 0.5)
    except BluetoothUnavailable:
        return False
    return True
