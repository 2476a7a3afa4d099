"""The virtual air: a Bumble LocalLink with one controller per simulated device."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bumble import att, hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

# Bumble's controller warns for every packet still in flight when a link drops;
# on a virtual link that is expected noise, not a fault worth a log line.
logging.getLogger("bumble.controller").setLevel(logging.ERROR)

_controller_log = logging.getLogger("bumble.controller")
_host_log = logging.getLogger("bumble.host")
_gatt_logs = (logging.getLogger("bumble.gatt_client"), logging.getLogger("bumble.gatt_server"))


def _att_pdu_format(pdu: att.ATT_PDU, spec: str) -> str:
    """Bumble's GATT client and server put every PDU in a ``logger.debug`` f-string,
    which formats all its fields in colour whether or not anyone logs it. Only those
    f-strings format a PDU (``str()`` is unchanged), so while GATT debug logging is
    off they get the PDU's name alone."""
    if spec or _gatt_logs[0].isEnabledFor(logging.DEBUG) or _gatt_logs[1].isEnabledFor(logging.DEBUG):
        return format(str(pdu), spec)
    return pdu.name


# Replacing a method of bumble's class is the point here (see above); mypy refuses any such assignment.
att.ATT_PDU.__format__ = _att_pdu_format  # type: ignore[method-assign,assignment]


class _Controller(Controller):
    """Bumble's controller, minus the debug line it formats for every packet even
    when nobody logs it (colour codes and a full field dump: most of the cost of
    moving a notification). With DEBUG on, Bumble's own code runs and logs."""

    le_acl_data_packet_length = 251

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _controller_log.isEnabledFor(logging.DEBUG):
            super().on_hci_packet(packet)
        elif isinstance(packet, hci.HCI_Command):
            self.on_hci_command_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        else:
            super().on_hci_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _controller_log.isEnabledFor(logging.DEBUG):
            super().send_hci_packet(packet)
        elif isinstance(self.host, _Host):
            # In-process: hand the packet over as it is, rather than as bytes the
            # host parses back into the same packet.
            asyncio.get_running_loop().call_soon(self.host.on_packet_object, packet)
        elif self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))


class _Host(Host):
    """Bumble's host, minus the same per-packet debug line (see :class:`_Controller`),
    exchanging packet objects with its in-process controller."""

    in_process_controller: _Controller | None = None

    def on_packet_object(self, packet: hci.HCI_Packet) -> None:
        """:meth:`Host.on_packet` for a packet that need not be parsed."""
        if self.ready or (
            isinstance(packet, hci.HCI_Command_Complete_Event) and packet.command_opcode == hci.HCI_RESET_COMMAND
        ):
            self.on_hci_packet(packet)

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _host_log.isEnabledFor(logging.DEBUG) or self.snooper:
            super().on_hci_packet(packet)
        elif isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        else:
            super().on_hci_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _host_log.isEnabledFor(logging.DEBUG) or self.snooper:
            super().send_hci_packet(packet)
        elif self.in_process_controller is not None:
            # Straight to the controller, as a write to a transport returns at once:
            # the controller answers its host and the air through the loop (call_soon)
            # only, so nothing re-enters the host, and packets keep their order.
            self.in_process_controller.on_hci_packet(packet)
        elif self.hci_sink:
            self.hci_sink.on_packet(bytes(packet))


class OnAir(Protocol):
    """What the radio knows of a peripheral advertising on it."""

    rssi_dbm: int

    @property
    def address(self) -> str: ...


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
        self.peripherals: list[OnAir] = []
        #: The virtual controller forms one pending connection at a time.
        self.connect_lock = asyncio.Lock()

    def new_device(self, name: str) -> Device:
        self._count += 1
        address = f"F0:00:00:00:{self._count >> 8:02X}:{self._count & 0xFF:02X}"
        controller = _Controller(name, link=self.link, public_address=address)
        host = _Host(controller, AsyncPipeSink(controller))
        host.in_process_controller = controller
        return Device(name=name, address=Address(address), host=host)

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

    def find(self, address: str) -> OnAir | None:
        for peripheral in self.peripherals:
            if peripheral.address == address.upper():
                return peripheral
        return None
