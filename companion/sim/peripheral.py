"""What every simulated peripheral shares: a Bumble device that advertises on the
virtual radio, accepts one connection, and exposes the standard services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from bumble import att, gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection

from firmware_protocol import uuids

from .radio import VirtualRadio

_log = logging.getLogger(__name__)

ADVERTISING_INTERVAL_MS = 20
MAX_ADVERTISED_NAME = 8


def _write_not_permitted(connection: Connection, value: bytes) -> None:
    # Bumble does not enforce write permissions, and a value without a write
    # handler never answers: refuse explicitly, as a real stack would.
    raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)


def readable(
    uuid: str,
    read: Callable[[Connection], bytes],
    *,
    notify: bool = False,
) -> gatt.Characteristic:
    """A read (and optionally notify) characteristic whose value comes from ``read``."""
    properties = gatt.Characteristic.Properties.READ
    if notify:
        properties |= gatt.Characteristic.Properties.NOTIFY
    return gatt.Characteristic(
        uuid,
        properties,
        gatt.Characteristic.READABLE,
        gatt.CharacteristicValue(read=read, write=_write_not_permitted),
    )


def _reads(value: bytes) -> Callable[[Connection], bytes]:
    """A read handler that answers ``value``."""
    return lambda _connection: value


def writable(
    uuid: str,
    write: Callable[[Connection, bytes], None],
    *,
    with_response: bool = True,
    notify: bool = False,
    read: Callable[[Connection], bytes] | None = None,
) -> gatt.Characteristic:
    """A write characteristic; ``notify`` adds notifications (control-point style)."""
    properties = (
        gatt.Characteristic.Properties.WRITE if with_response else gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE
    )
    permissions = gatt.Characteristic.WRITEABLE
    if notify:
        properties |= gatt.Characteristic.Properties.NOTIFY
    if read is not None:
        properties |= gatt.Characteristic.Properties.READ
        permissions |= gatt.Characteristic.READABLE
    return gatt.Characteristic(uuid, properties, permissions, gatt.CharacteristicValue(read=read, write=write))


def advertising_data(name: str, service_uuids: Iterable[str] = ()) -> bytes:
    """Flags, complete name and 128-bit service UUIDs in one 31-byte advertisement."""
    fields = [
        (AdvertisingData.FLAGS, bytes([0x06])),
        (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
    ]
    packed = b"".join(UUID(u).to_bytes() for u in service_uuids)
    if packed:
        fields.append((AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, packed))
    data = bytes(AdvertisingData(fields))
    if len(data) > 31:
        raise ValueError(f"advertisement of {len(data)} bytes exceeds 31: shorten the name")
    return data


class SimulatedPeripheral:
    """Base of every simulated sensor. Subclasses provide services and advertisement."""

    kind = "unknown"
    #: Signal strength a scanner hears, in dBm. Each kind differs (the reference
    #: sensor nearest), so scans order the simulated sensors the same way every run.
    rssi_dbm = -60

    def __init__(self, radio: VirtualRadio, name: str) -> None:
        self.radio = radio
        self.name = name
        self.device = radio.new_device(name)
        self.connection: Connection | None = None
        self.connections_accepted = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.boot_s = 0.0
        self._notifier_task: asyncio.Task[None] | None = None
        self._streamer = None
        radio.peripherals.append(self)

    @property
    def address(self) -> str:
        return str(self.device.random_address).split("/")[0].upper()

    def services(self) -> list[gatt.Service]:
        raise NotImplementedError

    def advertisement(self) -> bytes:
        raise NotImplementedError

    async def start(self) -> None:
        #: Device time zero: motion sources are sampled at ``loop time - boot_s``.
        self.boot_s = asyncio.get_running_loop().time()
        self.device.add_services(self.services())
        self.device.on("connection", self._on_connection)
        await self.device.power_on()
        await self.device.start_advertising(
            advertising_data=self.advertisement(),
            auto_restart=True,
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )

    async def stop(self) -> None:
        """Stop advertising and drop any connection: the sensor is switched off."""
        await self.device.stop_advertising()
        await self.disconnect()
        for task in list(self._tasks):
            task.cancel()

    async def go_out_of_range(self, seconds: float) -> None:
        """Drop the connection and stay silent for ``seconds``, then advertise again."""
        await self.device.stop_advertising()
        await self.disconnect()
        await asyncio.sleep(seconds)
        await self.device.start_advertising(
            advertising_data=self.advertisement(),
            auto_restart=True,
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )

    async def disconnect(self) -> None:
        """Drop the connection from the peripheral's side, as a sensor out of range does."""
        connection = self.connection
        if connection is not None:
            done = asyncio.get_running_loop().create_future()
            connection.once("disconnection", lambda *_: None if done.done() else done.set_result(None))
            await connection.disconnect()
            await done

    def spawn(self, coro) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def notify(self, characteristic: gatt.Characteristic, value: bytes) -> None:
        connection = self.connection
        if connection is None:
            return
        try:
            await self.device.notify_subscriber(connection, characteristic, value)
        except Exception as exc:  # noqa: BLE001 - the link went away under us: the sensor just carries on
            _log.debug("notification not sent: %s", exc)

    def stream_while_subscribed(self, characteristic: gatt.Characteristic, run) -> None:
        """Run ``run()`` (a coroutine factory) while a client has notifications on."""
        self._streamer = run
        characteristic.on("subscription", self._on_stream_subscription)

    def _on_stream_subscription(self, _bearer, notify_enabled: bool, _indicate: bool) -> None:
        if notify_enabled:
            if self._notifier_task is None:
                self.restart_stream()
        else:
            self.stop_stream()

    async def stall(self, seconds: float) -> None:
        """Stop notifying for ``seconds`` while staying connected, as a sensor whose
        sampling task hung does; then stream again with its counter restarted."""
        connection = self.connection
        self.pause_stream()
        await asyncio.sleep(seconds)
        if connection is not None and self.connection is connection:
            self.resume_stream(connection)

    def pause_stream(self) -> None:
        self.stop_stream()

    def resume_stream(self, connection: Connection) -> None:
        if self._notifier_task is None:
            self.restart_stream()

    def restart_stream(self) -> None:
        self.stop_stream()
        if self._streamer is not None:
            self._notifier_task = self.spawn(self._streamer())

    def stop_stream(self) -> None:
        if self._notifier_task is not None:
            self._notifier_task.cancel()
            self._notifier_task = None

    def on_connected(self, connection: Connection) -> None:
        """Hook for subclasses."""

    def on_disconnected(self) -> None:
        """Hook for subclasses."""

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self.connections_accepted += 1
        connection.on("disconnection", lambda reason: self._on_disconnection(connection))
        self.on_connected(connection)

    def _on_disconnection(self, connection: Connection) -> None:
        if self.connection is connection:
            self.connection = None
            self.stop_stream()
            self.on_disconnected()


class BatteryService:
    """Battery Service 0x180F: level in percent, read + notify."""

    def __init__(self, owner: SimulatedPeripheral, level: int) -> None:
        self.owner = owner
        self.level = level
        self.characteristic = readable(uuids.BATTERY_LEVEL_CHAR, lambda _c: bytes([self.level]), notify=True)
        self.service = gatt.Service(uuids.BATTERY_SERVICE, [self.characteristic])

    async def set_level(self, level: int) -> None:
        if not 0 <= level <= 100:
            raise ValueError(f"battery level {level} is outside 0..100")
        self.level = level
        await self.owner.notify(self.characteristic, bytes([level]))


def device_information_service(manufacturer: str, model: str, serial: str, firmware: str) -> gatt.Service:
    values = {
        uuids.MANUFACTURER_CHAR: manufacturer,
        uuids.MODEL_CHAR: model,
        uuids.SERIAL_CHAR: serial,
        uuids.FIRMWARE_REV_CHAR: firmware,
    }
    return gatt.Service(
        uuids.DEVICE_INFO_SERVICE,
        [readable(uuid, _reads(text.encode())) for uuid, text in values.items()],
    )
