"""The companion's BLE link: scan, connect, start the sensor, stream, reconnect.

Everything here goes through bleak's public API; the transport decides whether
that reaches the platform's Bluetooth stack or the virtual radio. Notification
callbacks only decode and queue; consumers read :attr:`SensorLink.events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError
from bleak_retry_connector import establish_connection

from firmware_protocol import ProtocolError, UnsupportedVersion

from .ble.transport import BleTransport
from .drivers import Pause, Read, SensorDriver, Subscribe, Write, detect_kind
from .errors import BluetoothUnavailable
from .readings import ImuReading

_log = logging.getLogger(__name__)


def _cancelled_from_outside() -> bool:
    """Whether the running task is being cancelled, as opposed to a cancellation
    escaping from something it awaited (Bumble cancels requests on a dropped link)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class LinkState(enum.Enum):
    IDLE = "idle"
    SCANNING = "scanning"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    LOST = "lost"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class FoundSensor:
    """A supported sensor seen in a scan."""

    name: str
    address: str
    kind: str
    rssi: int
    device: BLEDevice | None = None

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "address": self.address, "kind": self.kind, "rssi": self.rssi}


@dataclass(frozen=True, slots=True)
class LinkStateChanged:
    """The link moved to ``state``. ``new_outage`` marks the first change of an
    outage (streaming stopped): the one worth telling the user about; the retries
    that follow, and a connection that drops again soon after it came back, belong
    to the same outage."""

    state: LinkState
    detail: str = ""
    new_outage: bool = False


@dataclass(frozen=True, slots=True)
class SensorConnected:
    name: str
    address: str
    kind: str
    model: str
    firmware: str
    battery_percent: int | None
    rate_hz: float | None
    mtu: int

    def sensor_info(self) -> dict[str, object]:
        """What a screen or the control socket shows of the connected sensor."""
        return {
            "name": self.name,
            "kind": self.kind,
            "model": self.model,
            "battery": self.battery_percent,
            "rate_hz": self.rate_hz,
        }


@dataclass(frozen=True, slots=True)
class ReadingsReceived:
    readings: list[ImuReading]


@dataclass(frozen=True, slots=True)
class BatteryChanged:
    percent: int


@dataclass(frozen=True, slots=True)
class LinkFailed:
    """The link gave up for good (for example, firmware of an unknown version)."""

    reason: str


@dataclass(frozen=True, slots=True)
class LinkRestarted:
    """The link hit an unexpected error (a defect, not a radio fault) and started over."""

    reason: str


LinkEvent = LinkStateChanged | SensorConnected | ReadingsReceived | BatteryChanged | LinkFailed | LinkRestarted


@dataclass(slots=True)
class LinkStats:
    received: int = 0
    malformed: int = 0
    reconnects: int = 0
    last_error: str = ""
    lost: int = 0
    duplicates: int = 0
    outages: int = 0
    stalls: int = 0
    restarts: int = 0
    time_repairs: int = 0

    @property
    def loss_ratio(self) -> float:
        total = self.received + self.lost
        return self.lost / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff between reconnection attempts."""

    first_s: float = 0.5
    factor: float = 2.0
    max_s: float = 15.0

    def delay(self, attempt: int) -> float:
        return min(self.max_s, self.first_s * self.factor ** max(0, attempt - 1))


async def scan(
    transport: BleTransport,
    timeout_s: float = 5.0,
    until: Callable[[FoundSensor], bool] | None = None,
) -> list[FoundSensor]:
    """Supported sensors in range: strongest signal first, then by name and address,
    so equal signals always come in the same order.

    With ``until``, the scan stops as soon as a sensor it accepts advertises (so a
    command that wants one sensor connects without waiting out ``timeout_s``); the
    list then holds what was heard so far.

    Not every family advertises its service (WitMotion does not), so the scan
    listens to everything and keeps what a driver recognises. Raises
    :class:`~companion.errors.BluetoothUnavailable` when Bluetooth cannot be used.
    """
    found: dict[str, FoundSensor] = {}
    wanted = asyncio.Event()

    def heard(device: BLEDevice, adv: AdvertisementData) -> None:
        driver = detect_kind(adv.local_name or device.name, adv.service_uuids)
        if driver is None:
            return
        known = found.get(device.address)
        sensor = FoundSensor(
            name=adv.local_name or device.name or (known.name if known else device.address),
            address=device.address,
            kind=driver.kind,
            rssi=adv.rssi,
            device=device,
        )
        found[device.address] = sensor
        if until is not None and until(sensor):
            wanted.set()

    try:
        async with BleakScanner(detection_callback=heard, **transport.scanner_kwargs):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):  # never drops a cancellation (wait_for can, on 3.11)
                    await wanted.wait()
    except (BleakError, OSError) as exc:  # no adapter, switched off, no permission
        raise BluetoothUnavailable(str(exc) or type(exc).__name__) from exc
    return sorted(found.values(), key=lambda s: (-s.rssi, s.name, s.address))


class SensorLink:
    """Keeps one sensor streaming until stopped, reconnecting with backoff."""

    def __init__(
        self,
        sensor: FoundSensor,
        transport: BleTransport,
        *,
        driver: SensorDriver | None = None,
        backoff: Backoff = Backoff(),
        lost_after_s: float = 60.0,
        connect_attempts: int = 3,
        find_timeout_s: float = 5.0,
        stall_after_s: float = 5.0,
        stable_after_s: float = 10.0,
    ) -> None:
        from .drivers import driver_for_kind

        self.sensor = sensor
        self.transport = transport
        self.driver = driver if driver is not None else driver_for_kind(sensor.kind)()
        self.backoff = backoff
        self.lost_after_s = lost_after_s
        self.connect_attempts = connect_attempts
        self.find_timeout_s = find_timeout_s
        #: Silence while streaming that counts as a stall: this, or ten sample
        #: periods of a slower sensor, whichever is longer.
        self.stall_after_s = stall_after_s
        #: Streaming this long ends an outage; a drop sooner continues it.
        self.stable_after_s = stable_after_s
        self.events: asyncio.Queue[LinkEvent] = asyncio.Queue()
        self.stats = LinkStats()
        self.state = LinkState.IDLE
        self.mtu = 23
        self._client: BleakClient | None = None
        self._disconnected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._battery: int | None = None
        self._scanned_device = sensor.device
        self._last_data_s = 0.0
        self._streaming_since: float | None = None
        self._in_outage = False
        #: Why the link gave up for good, when it did.
        self.failure: str | None = None

    # -- public -----------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()

    async def alert(self, level: int = 1) -> bool:
        """Vibrate the sensor where it can; False when it cannot or is not connected."""
        step = self.driver.alert_step(level)
        return step is not None and await self.client_write(step)

    async def client_write(self, step: Write) -> bool:
        """Run one driver write (for example a sensor's own calibration) if connected."""
        client = self._client
        if client is None or not client.is_connected:
            return False
        try:
            await client.write_gatt_char(step.uuid, step.data, response=step.response)
        except BleakError as exc:
            _log.info("write to %s failed: %s", step.uuid, exc)
            return False
        return True

    async def run(self) -> None:
        """Connect, stream and reconnect until :meth:`stop`; never raises for link
        faults. An unexpected error is reported as :class:`LinkRestarted` and the
        link starts over, so the link only ends when stopped or for good reason."""
        try:
            while not self._stopping.is_set():
                try:
                    await self._run_until_stopped()
                    return
                except asyncio.CancelledError:
                    if _cancelled_from_outside():
                        raise
                    reason = "an operation was cancelled under the link"
                except Exception as exc:  # noqa: BLE001 - any failure restarts the link, logged with its traceback
                    _log.exception("link to %s failed unexpectedly", self.sensor.address)
                    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self.stats.restarts += 1
                self.stats.last_error = reason
                self._emit(LinkRestarted(reason))
                await self._end_connection()
                self._begin_outage(LinkState.RECONNECTING, f"restarting after an error: {reason}")
                await self._sleep_unless_stopped(self.backoff.first_s)
        finally:
            await self._shutdown()

    async def _run_until_stopped(self) -> None:
        attempt = 0
        outage_started: float | None = None
        while not self._stopping.is_set():
            if self.state is LinkState.IDLE:
                self._set_state(LinkState.CONNECTING)
            elif self.state is not LinkState.LOST:
                self._set_state(LinkState.RECONNECTING)
            try:
                connected = await self._unless_stopped(self._connect_and_start())
            except UnsupportedVersion as exc:
                self.failure = f"{exc}; update the companion or the sensor firmware"
                self._emit(LinkFailed(self.failure))
                self._set_state(LinkState.LOST, str(exc))
                await self._close_client()
                self._stopping.set()
                return
            except (TimeoutError, BleakError, ProtocolError, OSError) as exc:
                await self._end_connection()
                attempt += 1
                now = self._loop.time()
                outage_started = outage_started if outage_started is not None else now
                self.stats.last_error = str(exc) or type(exc).__name__
                if now - outage_started >= self.lost_after_s and self.state is not LinkState.LOST:
                    self._set_state(LinkState.LOST, self.stats.last_error)
                await self._sleep_unless_stopped(self.backoff.delay(attempt))
                continue
            if not connected:  # stopped while connecting
                return
            attempt = 0
            outage_started = None
            self._streaming_since = self._last_data_s = self._loop.time()
            self._set_state(LinkState.STREAMING)
            ended = await self._watch_stream()
            if ended == "stopped":
                return
            if self._loop.time() - self._streaming_since >= self.stable_after_s:
                self._in_outage = False
            outage_started = self._loop.time()
            if ended == "stalled":
                self.stats.stalls += 1
                silent = self._loop.time() - self._last_data_s
                self._begin_outage(LinkState.STALLED, f"no data for {silent:.0f} s")
            else:
                self.stats.reconnects += 1
                self._begin_outage(LinkState.RECONNECTING, "sensor disconnected")
            await self._end_connection()

    def _begin_outage(self, state: LinkState, detail: str) -> None:
        new = not self._in_outage
        if new:
            self._in_outage = True
            self.stats.outages += 1
        self.state = state
        self._emit(LinkStateChanged(state, detail, new_outage=new))

    async def _watch_stream(self) -> str:
        """Wait until the connection drops ("disconnected"), the sensor falls silent
        ("stalled") or the link is stopped ("stopped")."""
        stall_s = max(self.stall_after_s, 10.0 / self.driver.rate_hz if self.driver.rate_hz else 0.0)
        while True:
            if self._stopping.is_set():
                return "stopped"
            if self._disconnected.is_set():
                return "disconnected"
            silent = self._loop.time() - self._last_data_s
            if silent >= stall_s:
                return "stalled"
            await self._wait_for_disconnect_or_stop(stall_s - silent)

    async def _end_connection(self) -> None:
        """Close the connection and release what the driver holds, so that nothing
        received is lost to the reconnection and every gap is counted."""
        self._streaming_since = None
        await self._close_client()
        self._after_feed(self.driver.finish())

    async def _unless_stopped(self, operation) -> bool:
        """Run ``operation`` unless :meth:`stop` comes first; True when it ran."""
        task = asyncio.ensure_future(operation)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if task.done():
            if task.cancelled():  # Bumble cancelled a request under a dropped link
                raise BleakError(f"{self.sensor.name} dropped the connection while it was set up")
            task.result()
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, BleakError, ProtocolError, asyncio.TimeoutError, OSError):
            await task
        await self._close_client()
        return False

    # -- connection ---------------------------------------------------------------

    async def _connect_and_start(self) -> None:
        # The scan's device object is good for the first attempt only; afterwards
        # look the sensor up again, as its advertisement may have changed.
        device, self._scanned_device = self._scanned_device, None
        if device is None:
            device = await BleakScanner.find_device_by_address(
                self.sensor.address, timeout=self.find_timeout_s, **self.transport.scanner_kwargs
            )
            if device is None:
                raise BleakError(f"{self.sensor.name} ({self.sensor.address}) is not in range")
        self._disconnected.clear()
        client = await establish_connection(
            BleakClient,
            device,
            self.sensor.name,
            disconnected_callback=self._on_disconnect,
            max_attempts=self.connect_attempts,
            **self.transport.client_kwargs,
        )
        self._client = client
        if not client.is_connected:  # dropped between connecting and now
            self._disconnected.set()
        self.mtu = client.mtu_size
        for step in self.driver.start_steps():
            await self._run_step(client, step)
        self._battery = self.driver.battery_percent
        details = self.driver.details
        self._emit(
            SensorConnected(
                name=self.sensor.name,
                address=self.sensor.address,
                kind=self.driver.kind,
                model=details.model,
                firmware=details.firmware,
                battery_percent=self.driver.battery_percent,
                rate_hz=self.driver.rate_hz,
                mtu=self.mtu,
            )
        )

    async def _run_step(self, client: BleakClient, step) -> None:
        if isinstance(step, Pause):
            await asyncio.sleep(step.seconds)
            return
        if isinstance(step, Write):
            await client.write_gatt_char(step.uuid, step.data, response=step.response)
            return
        characteristic = client.services.get_characteristic(step.uuid)
        if characteristic is None:
            if step.optional:
                return
            raise BleakError(f"{self.sensor.name} has no characteristic {step.uuid}")
        if isinstance(step, Read):
            step.apply(bytes(await client.read_gatt_char(characteristic)))
        elif isinstance(step, Subscribe):
            await client.start_notify(characteristic, self._notification_handler(step.uuid))

    def _notification_handler(self, uuid: str) -> Callable[[BleakGATTCharacteristic, bytearray], None]:
        def handle(_characteristic: BleakGATTCharacteristic, data: bytearray) -> None:
            try:
                readings = self.driver.feed(uuid, bytes(data), self._loop.time() - self._t0)
            except ProtocolError as exc:
                self.stats.malformed += 1
                self.stats.last_error = str(exc)
                return
            self._after_feed(readings)

        return handle

    def _after_feed(self, readings: list[ImuReading]) -> None:
        if readings:
            self._last_data_s = self._loop.time()
            self.stats.received += len(readings)
            self._emit(ReadingsReceived(readings))
        self.stats.lost = self.driver.lost_samples
        self.stats.duplicates = self.driver.duplicate_frames
        self.stats.time_repairs = self.driver.time_repairs
        battery = self.driver.battery_percent
        if battery is not None and battery != self._battery:
            self._battery = battery
            self._emit(BatteryChanged(battery))

    def _on_disconnect(self, client: BleakClient) -> None:
        # Only the connection in use: bleak-retry-connector reports the drops of
        # its failed attempts too, before the client is handed over.
        if client is self._client:
            self._disconnected.set()

    async def _wait_for_disconnect_or_stop(self, timeout_s: float | None = None) -> None:
        waiters = [
            asyncio.ensure_future(self._disconnected.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):  # never drops a cancellation (wait_for can, on 3.11)
                await self._stopping.wait()

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(BleakError, asyncio.TimeoutError, OSError):
                await client.disconnect()

    async def _shutdown(self) -> None:
        client = self._client
        if client is not None and client.is_connected:
            for step in self.driver.stop_steps():
                with contextlib.suppress(BleakError, asyncio.TimeoutError, OSError):
                    await self._run_step(client, step)
        await self._close_client()
        self._after_feed(self.driver.finish())
        self._set_state(LinkState.STOPPED)

    # -- events -------------------------------------------------------------------

    def _set_state(self, state: LinkState, detail: str = "") -> None:
        if state is self.state and not detail:
            return
        self.state = state
        self._emit(LinkStateChanged(state, detail))

    def _emit(self, event: LinkEvent) -> None:
        self.events.put_nowait(event)
