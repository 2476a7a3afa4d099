"""The virtual air: a Bumble LocalLink with one controller per simulated device."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

if TYPE_CHECKING:
    from .peripheral import SimulatedPeripheral

# Bumble's controller warns for every packet still in flight when a link drops;
# on a virtual link that is expected noise, not a fault worth a log line.
logging.getLogger("bumble.controller").setLevel(logging.ERROR)


class VirtualRadio:
    """One in-process BLE medium: peripherals advertise on it, the central scans it.

    Create it inside a running event loop. Everything on it runs on that loop's
    clock, so a virtual-time loop runs simulated hours in seconds.
    """

    def __init__(self) -> None:
        self.link = LocalLink()
        self._count = 0
        self._central: Device | None = None
        self._central_ready: asyncio.Lock | None = None
        self.peripherals: list[SimulatedPeripheral] = []
        #: The virtual controller forms one pending connection at a time.
        self.connect_lock = asyncio.Lock()

    def new_device(self, name: str) -> Device:
        self._count += 1
        address = f"F0:00:00:00:{self._count >> 8:02X}:{self._count & 0xFF:02X}"
        controller = Controller(name, link=self.link, public_address=address)
        return Device(
            name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller))
        )

    async def central(self) -> Device:
        """The companion's side of the link, powered on once and shared."""
        if self._central_ready is None:
            self._central_ready = asyncio.Lock()
        async with self._central_ready:
            if self._central is None:
                device = self.new_device("companion")
                await device.power_on()
                self._central = device
        return self._central

    def find(self, address: str) -> SimulatedPeripheral | None:
        for peripheral in self.peripherals:
            if peripheral.address == address.upper():
                return peripheral
        return None
