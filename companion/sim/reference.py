"""The simulated reference sensor: the open protocol on a Bumble GATT server."""

from __future__ import annotations

import asyncio

import numpy as np
from bumble import gatt
from bumble.device import Connection

from firmware_protocol import uuids
from firmware_protocol.errors import InvalidFrame
from firmware_protocol.frames import (
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    SAMPLE_SIZE,
    CommandResponse,
    Configure,
    DeviceFlags,
    DeviceInfo,
    Identify,
    Opcode,
    ResultCode,
    SensorConfig,
    StartStreaming,
    Status,
    StopStreaming,
    StreamState,
    decode_command,
    pack_sample_frame,
    samples_per_frame,
)

from .faults import FaultPlan
from .motion import MotionSource, SamplesAhead, StillWearer
from .peripheral import (
    BatteryService,
    SimulatedPeripheral,
    advertising_data,
    device_information_service,
    readable,
    writable,
)
from .radio import VirtualRadio

TICK_HZ = 1_000_000


class ReferenceSensor(SimulatedPeripheral):
    """A sensor running the reference firmware, worn by a simulated person.

    Streams :class:`SampleBatch` frames from ``motion`` while a client has asked it
    to; ``faults`` mangles outgoing data notifications on request.
    """

    kind = "reference"
    rssi_dbm = -48

    def __init__(
        self,
        radio: VirtualRadio,
        *,
        name: str = "Posture1",
        motion: MotionSource | None = None,
        config: SensorConfig = SensorConfig(),
        batch_size: int = 10,
        battery: int = 87,
        serial: str = "SIM-0001",
        clock_drift_ppm: float = 0.0,
        faults: FaultPlan | None = None,
        has_vibration: bool = True,
        clock_start_s: float = 0.0,
    ) -> None:
        super().__init__(radio, name)
        self.motion = motion if motion is not None else StillWearer()
        self.config = config
        self.batch_size = batch_size
        self.serial = serial
        self.clock_drift_ppm = clock_drift_ppm
        #: Device time at power-on (start near 2**32 ticks to see the clock wrap).
        self.clock_start_s = clock_start_s
        self._time_spikes: list[float] = []
        #: Samples put into data notifications, over every stream.
        self.samples_sent = 0
        self.faults = faults if faults is not None else FaultPlan()
        self.has_vibration = has_vibration
        self.battery = BatteryService(self, battery)
        self.alert_levels: list[int] = []
        self.identify_requests: list[int] = []
        self._stream_task: asyncio.Task[None] | None = None
        self._build_characteristics()

    # -- GATT map ---------------------------------------------------------------

    def _notify_data_later(self, payload: bytes) -> None:
        """A delayed notification (fault injection), sent from a timer."""
        self.spawn(self.notify(self.data_char, payload))

    def _build_characteristics(self) -> None:
        self.info_char = readable(uuids.INFO_CHAR, lambda _c: bytes(self.device_info()))
        self.data_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            uuids.DATA_CHAR,
            gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.READABLE,
            gatt.CharacteristicValue(read=lambda _c: b"", write=None),
        )
        self.control_char = writable(uuids.CONTROL_CHAR, self._on_control_write, notify=True)
        self.status_char = readable(uuids.STATUS_CHAR, lambda _c: bytes(self.status()), notify=True)
        self.alert_char = writable(uuids.ALERT_LEVEL_CHAR, self._on_alert_write, with_response=False)

    def services(self) -> list[gatt.Service]:
        return [
            gatt.Service(
                uuids.SENSOR_SERVICE,
                [self.info_char, self.data_char, self.control_char, self.status_char],
            ),
            self.battery.service,
            device_information_service("Posture Project", "XIAO nRF52840 Sense (sim)", self.serial, "1.0.0-sim"),
            gatt.Service(uuids.IMMEDIATE_ALERT_SERVICE, [self.alert_char]),
        ]

    def advertisement(self) -> bytes:
        return advertising_data(self.name, [uuids.SENSOR_SERVICE])

    # -- state --------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return self._stream_task is not None and not self._stream_task.done()

    def device_info(self) -> DeviceInfo:
        flags = DeviceFlags.HAS_GYRO
        if self.streaming:
            flags |= DeviceFlags.STREAMING
        if self.has_vibration:
            flags |= DeviceFlags.HAS_VIBRATION
        return DeviceInfo(PROTOCOL_MAJOR, PROTOCOL_MINOR, self.config, self.batch_size, flags, tick_hz=TICK_HZ)

    def status(self) -> Status:
        return Status(StreamState.STREAMING if self.streaming else StreamState.IDLE)

    def device_ticks(self, loop_time_s: float) -> int:
        elapsed = (loop_time_s - self.boot_s) * (1.0 + self.clock_drift_ppm * 1e-6) + self.clock_start_s
        return round(elapsed * TICK_HZ) % (1 << 32)

    def spike_clock(self, seconds: float) -> None:
        """Stamp the next data frame ``seconds`` off its true time (a glitched read
        of the device clock); the frames after it are right again."""
        self._time_spikes.append(seconds)

    async def reboot(self, *, drop_connection: bool = True) -> None:
        """Restart the firmware: the clock starts again from zero and so does the
        sample counter. A real reboot drops the connection; ``drop_connection=False``
        restarts only the sampling (a firmware watchdog) with the link kept."""
        connection = self.connection
        self._stop_streaming()
        self.boot_s = asyncio.get_running_loop().time()
        self.clock_start_s = 0.0
        if drop_connection:
            await self.disconnect()
        elif connection is not None:
            self.resume_stream(connection)

    def pause_stream(self) -> None:
        self._stop_streaming()

    def resume_stream(self, connection: Connection) -> None:
        if not self.streaming:
            self._stream_task = self.spawn(self._stream(connection))

    async def set_battery(self, level: int) -> None:
        await self.battery.set_level(level)

    def on_disconnected(self) -> None:
        self._stop_streaming()

    # -- control point ---------------------------------------------------------

    def _on_control_write(self, connection: Connection, value: bytes) -> None:
        try:
            command = decode_command(value)
        except InvalidFrame:
            opcode = value[0] if value else 0
            known = opcode in {int(op) for op in Opcode}
            self._respond(opcode, ResultCode.INVALID_PARAMETER if known else ResultCode.UNKNOWN_OPCODE)
            return
        if isinstance(command, StartStreaming):
            if not self.streaming:
                self._stream_task = self.spawn(self._stream(connection))
        elif isinstance(command, StopStreaming):
            self._stop_streaming()
        elif isinstance(command, Configure):
            if self.streaming:  # settings change only between streams
                self._respond(command.opcode, ResultCode.INVALID_STATE)
                return
            self.config = command.config
            self.batch_size = command.batch_size
        elif isinstance(command, Identify):
            self.identify_requests.append(command.seconds)
        self._respond(command.opcode, ResultCode.SUCCESS)
        self.spawn(self.notify(self.status_char, bytes(self.status())))

    def _respond(self, opcode: int, result: ResultCode) -> None:
        self.spawn(self.notify(self.control_char, bytes(CommandResponse(opcode, result))))

    def _on_alert_write(self, connection: Connection, value: bytes) -> None:
        if value:
            self.alert_levels.append(value[0])

    def _stop_streaming(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None

    # -- streaming ---------------------------------------------------------------

    async def _stream(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        frames = _FrameMaker(self.motion, config, loop.time())
        index = 0
        try:
            while True:
                count = samples_per_frame(connection.att_mtu, self.batch_size)
                # A batch leaves once its last sample has been taken.
                await asyncio.sleep(max(0.0, frames.time_of(index + count - 1) - loop.time()))
                body = frames.take(index, count, self.boot_s)
                spike_s = self._time_spikes.pop(0) if self._time_spikes else 0.0
                t0_s = frames.time_of(index)
                frame = pack_sample_frame(index % 65536, self.device_ticks(t0_s + spike_s), config, body)
                self.samples_sent += count
                for delay_s, payload in self.faults.apply(frame):
                    if delay_s:
                        loop.call_later(delay_s, self._notify_data_later, payload)
                    else:
                        await self.notify(self.data_char, payload)
                index += count
        finally:
            frames.close()


class _FrameMaker(SamplesAhead[bytes]):
    """The packed samples of a stream's frames (:class:`SamplesAhead`).

    A frame's samples are taken at ``started_s + (index + i) / rate_hz`` (device
    time since boot), scaled to the configured ranges, rounded and saturated to
    int16.
    """

    def __init__(self, motion: MotionSource, config: SensorConfig, started_s: float) -> None:
        super().__init__(motion, started_s, 1.0 / config.rate_hz, self._pack)
        half = np.full(3, 32768.0)
        self._scale = np.concatenate((half / config.accel_range_g, half / config.gyro_range_dps))

    def _pack(self, accel_g: np.ndarray, gyro_dps: np.ndarray) -> list[bytes]:
        raw = np.concatenate((accel_g, gyro_dps), axis=-1) * self._scale
        np.rint(raw, out=raw)
        np.minimum(np.maximum(raw, -32768, out=raw), 32767, out=raw)
        packed = raw.astype("<i2").tobytes()
        size = accel_g.shape[1] * SAMPLE_SIZE
        return [packed[i : i + size] for i in range(0, len(packed), size)]
