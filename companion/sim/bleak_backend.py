"""A bleak backend (scanner + client) over an in-process Bumble virtual radio.

Pass ``backend=BumbleScanner`` / ``backend=BumbleClient`` and ``radio=...`` to
bleak's public ``BleakScanner`` / ``BleakClient``; everything above this module is
the code that talks to real hardware through the platform backends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att
from bumble import core as bumble_core
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address

from .radio import VirtualRadio

_log = logging.getLogger(__name__)

REQUESTED_MTU = 247

_UUID_LISTS = (
    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)

_PROPERTY_NAMES = {
    0x01: "broadcast",
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
    0x40: "authenticated-signed-writes",
    0x80: "extended-properties",
}


def _cancelled_from_outside() -> bool:
    """Whether the running task itself is being cancelled (rather than Bumble having
    cancelled something it awaited because the connection went away)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def uuid_str(value: UUID) -> str:
    """A Bumble UUID as bleak's normalised 128-bit lower-case string."""
    return str(uuid.UUID(bytes=value.to_bytes(force_128=True)[::-1]))


def _advertisement_data(adv: Advertisement, rssi: int) -> AdvertisementData:
    data = adv.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(AdvertisingData.SHORTENED_LOCAL_NAME)
    service_uuids: list[str] = []
    for kind in _UUID_LISTS:
        for uuids in data.get_all(kind):
            assert isinstance(uuids, list)  # the UUID-list kinds decode to lists of UUIDs
            service_uuids += [uuid_str(u) for u in uuids if uuid_str(u) not in service_uuids]
    manufacturer = {
        company: bytes(payload) for company, payload in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)
    }
    service_data = {
        uuid_str(u): bytes(payload)
        for kind in (
            AdvertisingData.SERVICE_DATA_16_BIT_UUID,
            AdvertisingData.SERVICE_DATA_32_BIT_UUID,
            AdvertisingData.SERVICE_DATA_128_BIT_UUID,
        )
        for u, payload in data.get_all(kind)
    }
    return AdvertisementData(
        local_name=name if isinstance(name, str) else None,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=service_uuids,
        tx_power=data.get(AdvertisingData.TX_POWER_LEVEL),
        rssi=rssi,
        platform_data=(adv,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans the virtual radio; filters on service UUIDs as platform stacks do."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: VirtualRadio,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._device: Device | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._device = await self._radio.central()
        self._device.on("advertisement", self._on_advertisement)
        if not self._device.scanning:
            await self._device.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        device.remove_listener("advertisement", self._on_advertisement)
        if device.scanning and not device.listeners("advertisement"):
            await device.stop_scanning()

    def _on_advertisement(self, adv: Advertisement) -> None:
        address = str(adv.address).split("/")[0].upper()
        # Bumble's virtual controller reports -50 dBm for everyone; the radio knows
        # how far each simulated sensor is.
        peripheral = self._radio.find(address)
        data = _advertisement_data(adv, adv.rssi if peripheral is None else peripheral.rssi_dbm)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        device = self.create_or_update_device(address, address, data.local_name, adv, data)
        self.call_detection_callbacks(device, data)


class BumbleClient(BaseBleakClient):
    """A GATT client on the virtual radio, behaving like a platform backend."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        radio: VirtualRadio,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._radio = radio
        self._name = (
            address_or_ble_device.name
            if isinstance(address_or_ble_device, BLEDevice) and address_or_ble_device.name
            else self.address.replace(":", "-")
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._disconnecting = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._lost: asyncio.Future[int] | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        timeout = kwargs.get("timeout", self._timeout)
        central = await self._radio.central()
        async with self._radio.connect_lock:
            try:
                connection = await central.connect(Address(self.address), timeout=timeout)
            except bumble_core.TimeoutError as exc:
                raise BleakDeviceNotFoundError(
                    self.address, f"{self.address} did not answer within {timeout:.0f} s"
                ) from exc
            except bumble_core.BaseBumbleError as exc:
                raise BleakError(f"connection to {self.address} failed: {exc}") from exc
            except asyncio.CancelledError:
                if _cancelled_from_outside():
                    raise
                raise BleakError(f"connection to {self.address} was dropped while forming") from None
        self._connection = connection
        self._disconnecting = False
        self._lost = asyncio.get_running_loop().create_future()
        # Bound to this connection: bleak-retry-connector reuses the client, and an
        # earlier connection's late disconnection must not end this one.
        connection.on("disconnection", lambda reason: self._on_disconnection(connection, reason))
        if central.connections.get(connection.handle) is not connection:
            self._on_disconnection(connection, 0)  # dropped before we were listening
        try:
            self._peer = Peer(connection)
            await self._unless_lost(self._peer.request_mtu(REQUESTED_MTU))
            self.services = await self._unless_lost(self._discover())
        except BaseException as exc:
            await self.disconnect()
            if isinstance(exc, asyncio.CancelledError) and not _cancelled_from_outside():
                raise BleakError(f"{self.address} disconnected during GATT discovery") from None
            raise

    async def _unless_lost(self, operation):
        """Run a GATT exchange, failing with BleakError as soon as the link drops
        (Bumble would otherwise wait for its 30 s request timeout). Bumble cancels
        the requests pending on a connection that drops: that is a drop too, not a
        cancellation of the caller."""
        task = asyncio.ensure_future(operation)
        waiting = {task} if self._lost is None else {task, self._lost}
        try:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done and not task.cancelled():
            return task.result()
        task.cancel()
        raise BleakError(f"{self.address} disconnected during a GATT operation")

    async def _discover(self) -> BleakGATTServiceCollection:
        peer = self._require_peer()
        await peer.discover_services()
        for service in peer.services:
            await peer.discover_characteristics(service=service)
            for characteristic in service.characteristics:
                await peer.discover_descriptors(characteristic=characteristic)
        # bleak requires this order: services, then characteristics, then descriptors.
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            collection.add_service(BleakGATTService(service, service.handle, uuid_str(service.uuid)))
        for service in peer.services:
            bleak_service = collection.get_service(service.handle)
            assert bleak_service is not None
            for characteristic in service.characteristics:
                properties = [name for bit, name in _PROPERTY_NAMES.items() if characteristic.properties & bit]
                collection.add_characteristic(
                    BleakGATTCharacteristic(
                        characteristic,
                        characteristic.handle,
                        uuid_str(characteristic.uuid),
                        properties,  # type: ignore[arg-type]  # bleak types these as its Literal names; ours come from its own table
                        lambda: self.mtu_size - 3,
                        bleak_service,
                    )
                )
        for service in peer.services:
            for characteristic in service.characteristics:
                bleak_char = collection.get_characteristic(characteristic.handle)
                assert bleak_char is not None
                for descriptor in characteristic.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(descriptor, descriptor.handle, uuid_str(descriptor.type), bleak_char)
                    )
        return collection

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._disconnecting = True
        done = asyncio.get_running_loop().create_future()
        connection.once("disconnection", lambda *_: None if done.done() else done.set_result(None))
        try:
            await connection.disconnect()
            async with asyncio.timeout(5.0):  # never drops a cancellation (wait_for can, on 3.11)
                await done
        except (TimeoutError, bumble_core.BaseBumbleError) as exc:
            _log.debug("disconnect from %s: %s", self.address, exc)
        self._connection = None

    def _on_disconnection(self, connection: Connection, reason: int) -> None:
        if connection is not self._connection:
            return
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(reason)
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        if not self._disconnecting and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        _log.info("the virtual radio needs no pairing; ignored")

    async def unpair(self) -> None:
        _log.info("the virtual radio needs no pairing; ignored")

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        return self._peer

    async def _gatt(self, operation):
        """Run a GATT operation, mapping Bumble's failures to bleak's."""
        try:
            return await self._unless_lost(operation)
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc
        except asyncio.CancelledError:
            if _cancelled_from_outside():
                raise
            raise BleakError(f"{self.address} disconnected during a GATT operation") from None
        except (bumble_core.BaseBumbleError, bumble_core.ProtocolError) as exc:
            if self._connection is None:
                raise BleakError(f"{self.address} disconnected during a GATT operation") from exc
            raise

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peer = self._require_peer()
        return bytearray(await self._gatt(peer.read_value(characteristic.handle)))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peer = self._require_peer()
        return bytearray(await self._gatt(peer.read_value(descriptor.handle)))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        peer = self._require_peer()
        await self._gatt(peer.write_value(characteristic.handle, bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        peer = self._require_peer()
        await self._gatt(peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        peer = self._require_peer()

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = deliver
        await self._gatt(peer.subscribe(characteristic.obj, deliver))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        deliver = self._subscribers.pop(characteristic.handle, None)
        await self._gatt(peer.unsubscribe(characteristic.obj, deliver))
