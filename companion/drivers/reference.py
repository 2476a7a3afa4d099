"""Driver for sensors running the open reference firmware (firmware_protocol)."""

from __future__ import annotations

from typing import ClassVar

from firmware_protocol import (
    CommandResponse,
    Configure,
    DeviceFlags,
    DeviceInfo,
    InvalidFrame,
    ResultCode,
    SampleFrame,
    SampleSequencer,
    SensorConfig,
    StartStreaming,
    Status,
    StopStreaming,
    uuids,
)

from ..readings import ImuReading
from .base import Read, SensorDriver, SensorKind, Step, Subscribe, Write


class CommandRejected(InvalidFrame):
    """The sensor answered a control-point command with an error."""


class ReferenceDriver(SensorDriver):
    kind: ClassVar[SensorKind] = SensorKind.REFERENCE
    label: ClassVar[str] = "Posture reference sensor"

    def __init__(self, config: SensorConfig = SensorConfig(), batch_size: int = 10) -> None:
        super().__init__()
        self.config = config
        self.batch_size = batch_size
        self.info: DeviceInfo | None = None
        self.status: Status | None = None
        self.rejected: list[CommandResponse] = []
        self._sequencer = SampleSequencer(start_seq=0)
        self._lost_before = 0
        self._duplicates_before = 0
        self._repairs_before = 0
        self._anchor: tuple[float, float] | None = None  # (host s, device s)
        self._last_t_s = float("-inf")
        self._seq_base = 0  # stream indices continue across reconnections
        self._first_index = 0
        self._next_seq = 0

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return uuids.SENSOR_SERVICE in service_uuids

    def start_steps(self) -> list[Step]:
        self._restart_stream()
        return [
            Read(uuids.INFO_CHAR, self._apply_info),
            *self.details_steps(),
            *self.battery_steps(),
            Subscribe(uuids.CONTROL_CHAR),
            Subscribe(uuids.STATUS_CHAR),
            Write(uuids.CONTROL_CHAR, bytes(Configure(self.config, self.batch_size))),
            Subscribe(uuids.DATA_CHAR),
            Write(uuids.CONTROL_CHAR, bytes(StartStreaming())),
        ]

    def stop_steps(self) -> list[Step]:
        return [Write(uuids.CONTROL_CHAR, bytes(StopStreaming()))]

    def alert_step(self, level: int) -> Write | None:
        if not self.has_vibration:
            return None
        return Write(uuids.ALERT_LEVEL_CHAR, bytes([max(0, min(2, level))]), response=False)

    def _apply_info(self, value: bytes) -> None:
        info = DeviceInfo.from_bytes(value)  # raises UnsupportedVersion for a newer major
        self.info = info
        self.has_vibration = bool(info.flags & DeviceFlags.HAS_VIBRATION)
        self._sequencer.tick_hz = info.tick_hz
        self.rate_hz = self.config.rate_hz

    def _restart_stream(self) -> None:
        # A new connection restarts the device's sample sequence: keep the totals.
        self._lost_before += self._sequencer.stats.lost
        self._duplicates_before += self._sequencer.stats.duplicate_frames
        self._repairs_before += self._sequencer.stats.time_repairs
        tick_hz = self._sequencer.tick_hz
        self._sequencer = SampleSequencer(tick_hz=tick_hz, start_seq=0)
        self._anchor = None
        self._seq_base = self._next_seq

    @property
    def lost_samples(self) -> int:
        return self._lost_before + self._sequencer.stats.lost

    @property
    def duplicate_frames(self) -> int:
        return self._duplicates_before + self._sequencer.stats.duplicate_frames

    @property
    def time_repairs(self) -> int:
        return self._repairs_before + self._sequencer.stats.time_repairs

    def feed(self, uuid: str, data: bytes, arrival_s: float) -> list[ImuReading]:
        if uuid == uuids.DATA_CHAR:
            frame = SampleFrame.from_bytes(data)
            return self._readings(self._sequencer.push(frame), arrival_s)
        if uuid == uuids.CONTROL_CHAR:
            response = CommandResponse.from_bytes(data)
            if response.result is not ResultCode.SUCCESS:
                self.rejected.append(response)
                raise CommandRejected(f"sensor rejected command 0x{response.request:02x}: {response.result.name}", data)
            return []
        if uuid == uuids.STATUS_CHAR:
            self.status = Status.from_bytes(data)
            return []
        if uuid == uuids.BATTERY_LEVEL_CHAR:
            self._apply_battery(data)
            return []
        return []

    def finish(self) -> list[ImuReading]:
        return self._readings(self._sequencer.flush(), None)

    def _readings(self, ordered, arrival_s: float | None) -> list[ImuReading]:
        out: list[ImuReading] = []
        append = out.append
        for item in ordered:
            frame = item.batch
            config = frame.config
            count = frame.count
            period_s = 1.0 / config.rate_hz
            if item.restarted:
                # The device restarted its counter and clock: anchor its new clock
                # on this arrival, as at the start; indices continue.
                self._anchor = None
                self._seq_base = self._next_seq
            if self._anchor is None:
                # The batch left when its last sample was taken: anchor the device
                # clock so that sample lands at its arrival time.
                last_device_s = item.t0_s + (count - 1) * period_s
                host_s = arrival_s if arrival_s is not None else last_device_s
                self._anchor = (host_s, last_device_s)
                self._first_index = item.index
            host0, device0 = self._anchor
            accel_scale = config.accel_range_g / 32768.0
            gyro_scale = config.gyro_range_dps / 32768.0
            seq = self._seq_base + item.index - self._first_index
            start_s = host0 + item.t0_s
            last_t_s = self._last_t_s
            for i, (ax, ay, az, gx, gy, gz) in enumerate(frame.values()):
                t_s = start_s + i * period_s - device0
                if t_s <= last_t_s:  # clock reset on the device: keep time moving
                    t_s = last_t_s + period_s
                last_t_s = t_s
                # ImuReading(t_s, accel, gyro, seq) without the frozen dataclass's
                # __init__ (four object.__setattr__ calls through a generated
                # function): every sample passes here, and the class checks nothing.
                reading = _new_reading(ImuReading)
                _set_t_s(reading, t_s)
                _set_accel_g(reading, (ax * accel_scale, ay * accel_scale, az * accel_scale))
                _set_gyro_dps(reading, (gx * gyro_scale, gy * gyro_scale, gz * gyro_scale))
                _set_seq(reading, seq + i)
                append(reading)
            self._last_t_s = last_t_s
            self._next_seq = seq + count
        return out


_new_reading = object.__new__
# The slot descriptors of ImuReading (looked up in the class dict: mypy takes the
# attribute names for instance fields).
_set_t_s = ImuReading.__dict__["t_s"].__set__
_set_accel_g = ImuReading.__dict__["accel_g"].__set__
_set_gyro_dps = ImuReading.__dict__["gyro_dps"].__set__
_set_seq = ImuReading.__dict__["seq"].__set__
