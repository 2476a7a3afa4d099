"""Which Bluetooth a command talks through: the platform's, or a simulated world.

The simulator (:mod:`companion.sim`, Bumble, numpy) loads only when ``simulate`` is
set, so a command on real hardware never imports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from .ble.transport import BleTransport


@contextlib.asynccontextmanager
async def open_transport(simulate: bool, *, wearer: bool = False) -> AsyncIterator[BleTransport]:
    """The platform's Bluetooth, or a virtual radio with one simulated sensor of every
    kind (worn by a scripted person when ``wearer`` is set, else by someone sitting
    still)."""
    if not simulate:
        yield BleTransport.system()
        return
    from .sim.world import all_kinds_radio

    async with all_kinds_radio(wearer=wearer) as radio:
        yield BleTransport.virtual(radio)
