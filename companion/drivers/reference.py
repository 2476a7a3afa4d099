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
    SampleBatch,
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
            batch = SampleBatch.from_bytes(data)
            return self._readings(self._sequencer.push(batch), arrival_s)
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
        for item in ordered:
            config = item.batch.config
            period_s = 1.0 / config.rate_hz
            if item.restarted:
                # The device restarted its counter and clock: anchor its new clock
                # on this arrival, as at the start; indices continue.
                self._anchor = None
                self._seq_base = self._next_seq
            if self._anchor is None:
                # The batch left when its last sample was taken: anchor the device
                # clock so that sample lands at its arrival time.
                last_device_s = item.t0_s + (len(item.batch.samples) - 1) * period_s
                host_s = arrival_s if arrival_s is not None else last_device_s
                self._anchor = (host_s, last_device_s)
                self._first_index = item.index
            host0, device0 = self._anchor
            accel_scale = config.accel_range_g / 32768.0
            gyro_scale = config.gyro_range_dps / 32768.0
            seq0 = self._seq_base + item.index - self._first_index
            for i, s in enumerate(item.batch.samples):
                t_s = host0 + item.t0_s + i * period_s - device0
                if t_s <= self._last_t_s:  # clock reset on the device: keep time moving
                    t_s = self._last_t_s + period_s
                self._last_t_s = t_s
                out.append(
                    ImuReading(
                        t_s,
                        (s.ax * accel_scale, s.ay * accel_scale, s.az * accel_scale),
                        (s.gx * gyro_scale, s.gy * gyro_scale, s.gz * gyro_scale),
                        seq0 + i,
                    )
                )
            self._next_seq = seq0 + len(item.batch.samples)
        return out
