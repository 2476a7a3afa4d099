"""Frames of the open posture sensor protocol, version 1.

Every frame is a frozen dataclass with ``from_bytes`` and ``__bytes__``; values are
range-checked on construction, so a frame that exists is a frame that can be sent.
Byte tables for each frame are in docs/protocol.md; golden vectors in vectors.json.
All integers are little-endian.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from .errors import InvalidFrame, InvalidParameter, UnsupportedVersion

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0

#: Full-scale accelerometer ranges, indexed by their 2-bit code.
ACCEL_RANGES_G: tuple[int, ...] = (2, 4, 8, 16)
#: Full-scale gyroscope ranges, indexed by their 3-bit code.
GYRO_RANGES_DPS: tuple[int, ...] = (125, 250, 500, 1000, 2000)
#: Sample rates, indexed by their 3-bit code.
RATES_HZ: tuple[int, ...] = (10, 25, 50, 100, 200)

SAMPLE_HEADER_SIZE = 8
SAMPLE_SIZE = 12
#: The most samples one frame can hold: fits a 244-byte notification (MTU 247).
MAX_SAMPLES_PER_FRAME = 19
ATT_HEADER_SIZE = 3

_INT16_MIN = -32768
_INT16_MAX = 32767


def samples_per_frame(mtu: int, wanted: int = MAX_SAMPLES_PER_FRAME) -> int:
    """How many samples fit one notification at this ATT MTU (at least one).

    ``wanted`` caps the result, so a sender can ask for fewer, more frequent frames.
    At the default MTU of 23 this is 1; at MTU 247 it is 19.
    """
    payload = mtu - ATT_HEADER_SIZE
    fit = (payload - SAMPLE_HEADER_SIZE) // SAMPLE_SIZE
    return max(1, min(fit, wanted, MAX_SAMPLES_PER_FRAME))


class FrameType(enum.IntEnum):
    SAMPLES = 0x1


@dataclass(frozen=True, slots=True)
class SensorConfig:
    """Sample rate and full-scale ranges, packed into one byte on the wire.

    Bits 0-1 accelerometer range code, bits 2-4 gyroscope range code,
    bits 5-7 sample rate code.
    """

    rate_hz: int = 50
    accel_range_g: int = 4
    gyro_range_dps: int = 500

    def __post_init__(self) -> None:
        _check_choice("rate_hz", self.rate_hz, RATES_HZ)
        _check_choice("accel_range_g", self.accel_range_g, ACCEL_RANGES_G)
        _check_choice("gyro_range_dps", self.gyro_range_dps, GYRO_RANGES_DPS)

    def to_byte(self) -> int:
        return (
            ACCEL_RANGES_G.index(self.accel_range_g)
            | GYRO_RANGES_DPS.index(self.gyro_range_dps) << 2
            | RATES_HZ.index(self.rate_hz) << 5
        )

    @classmethod
    def from_byte(cls, value: int, data: bytes | None = None) -> SensorConfig:
        accel_code = value & 0x03
        gyro_code = (value >> 2) & 0x07
        rate_code = (value >> 5) & 0x07
        if gyro_code >= len(GYRO_RANGES_DPS):
            raise InvalidFrame(f"reserved gyro range code {gyro_code}", data)
        if rate_code >= len(RATES_HZ):
            raise InvalidFrame(f"reserved sample rate code {rate_code}", data)
        return cls(RATES_HZ[rate_code], ACCEL_RANGES_G[accel_code], GYRO_RANGES_DPS[gyro_code])


def _check_choice(name: str, value: int, allowed: tuple[int, ...]) -> None:
    if value not in allowed:
        raise InvalidParameter(f"{name}={value!r} is not one of {', '.join(map(str, allowed))}")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameter(f"{name}={value!r} is outside {low}..{high}")


def _require(data: bytes, size: int, what: str, *, exact: bool = True) -> None:
    if len(data) < size or (exact and len(data) != size):
        raise InvalidFrame(f"{what} must be {size} bytes, got {len(data)}", bytes(data))


@dataclass(frozen=True, slots=True)
class RawSample:
    """One 6-axis sample in raw counts; scale with the frame's :class:`SensorConfig`."""

    ax: int
    ay: int
    az: int
    gx: int
    gy: int
    gz: int

    def __post_init__(self) -> None:
        for name in ("ax", "ay", "az", "gx", "gy", "gz"):
            _check_range(name, getattr(self, name), _INT16_MIN, _INT16_MAX)


_SAMPLE = struct.Struct("<6h")
_SAMPLE_HEADER = struct.Struct("<BHIB")
_new_object = object.__new__
_set_field = object.__setattr__


def _sample_from_int16(values: tuple[int, int, int, int, int, int]) -> RawSample:
    """A RawSample from six values just unpacked as int16: in range by
    construction, so the per-field checks of ``__post_init__`` are skipped."""
    sample = _new_object(RawSample)
    for name, value in zip(_SAMPLE_FIELDS, values):
        _set_field(sample, name, value)
    return sample


_SAMPLE_FIELDS = ("ax", "ay", "az", "gx", "gy", "gz")


def pack_sample_frame(seq: int, t0_ticks: int, config: SensorConfig, body: bytes) -> bytes:
    """A sample frame from its header fields and a body of samples already packed
    as little-endian int16 (six per sample): the encoder for bulk producers, checked
    once per frame instead of once per value. Equal to ``bytes(SampleBatch(...))``."""
    _check_range("seq", seq, 0, 0xFFFF)
    _check_range("t0_ticks", t0_ticks, 0, 0xFFFFFFFF)
    count, rest = divmod(len(body), SAMPLE_SIZE)
    if rest or not 1 <= count <= MAX_SAMPLES_PER_FRAME:
        raise InvalidParameter(
            f"a batch holds 1..{MAX_SAMPLES_PER_FRAME} samples of {SAMPLE_SIZE} bytes, got {len(body)} bytes"
        )
    return _SAMPLE_HEADER.pack(PROTOCOL_MAJOR << 4 | FrameType.SAMPLES, seq, t0_ticks, config.to_byte()) + body


@dataclass(frozen=True, slots=True)
class SampleBatch:
    """A notification on the data characteristic: consecutive samples.

    ``seq`` is the index of the first sample since streaming started, modulo 65536,
    so a gap in ``seq`` counts lost samples directly. ``t0_ticks`` is the device
    clock at the first sample (modulo 2**32, ticks per second in
    :class:`DeviceInfo`); later samples follow at ``1 / config.rate_hz``.
    """

    seq: int
    t0_ticks: int
    config: SensorConfig
    samples: tuple[RawSample, ...]

    def __post_init__(self) -> None:
        _check_range("seq", self.seq, 0, 0xFFFF)
        _check_range("t0_ticks", self.t0_ticks, 0, 0xFFFFFFFF)
        if not 1 <= len(self.samples) <= MAX_SAMPLES_PER_FRAME:
            raise InvalidParameter(f"a batch holds 1..{MAX_SAMPLES_PER_FRAME} samples, got {len(self.samples)}")

    def __bytes__(self) -> bytes:
        header = _SAMPLE_HEADER.pack(
            PROTOCOL_MAJOR << 4 | FrameType.SAMPLES, self.seq, self.t0_ticks, self.config.to_byte()
        )
        return header + b"".join(_SAMPLE.pack(s.ax, s.ay, s.az, s.gx, s.gy, s.gz) for s in self.samples)

    @property
    def count(self) -> int:
        """How many samples the batch holds."""
        return len(self.samples)

    def values(self) -> Iterable[tuple[int, int, int, int, int, int]]:
        """Each sample's raw counts as ``(ax, ay, az, gx, gy, gz)``."""
        return ((s.ax, s.ay, s.az, s.gx, s.gy, s.gz) for s in self.samples)

    @classmethod
    def from_bytes(cls, data: bytes) -> SampleBatch:
        frame = SampleFrame.from_bytes(data)
        return cls(frame.seq, frame.t0_ticks, frame.config, frame.samples)


#: Every configuration byte decoded so far: a stream repeats one in every frame.
_CONFIGS: dict[int, SensorConfig] = {}


@dataclass(frozen=True, slots=True)
class SampleFrame:
    """A received sample frame, checked once as a whole, its samples still packed.

    What a receiver decodes every notification into: the header is validated and
    the body is a whole number of 1..19 samples, so every value is an int16 by
    construction and needs no check of its own. ``samples`` and ``batch()`` give
    the :class:`SampleBatch` view; ``values()`` unpacks the counts in one pass.
    """

    seq: int
    t0_ticks: int
    config: SensorConfig
    body: bytes

    def __post_init__(self) -> None:
        _check_range("seq", self.seq, 0, 0xFFFF)
        _check_range("t0_ticks", self.t0_ticks, 0, 0xFFFFFFFF)
        count, rest = divmod(len(self.body), SAMPLE_SIZE)
        if rest or not 1 <= count <= MAX_SAMPLES_PER_FRAME:
            raise InvalidParameter(
                f"a frame holds 1..{MAX_SAMPLES_PER_FRAME} samples of {SAMPLE_SIZE} bytes, got {len(self.body)} bytes"
            )

    @property
    def count(self) -> int:
        return len(self.body) // SAMPLE_SIZE

    @property
    def samples(self) -> tuple[RawSample, ...]:
        return tuple(map(_sample_from_int16, _SAMPLE.iter_unpack(self.body)))

    def values(self) -> Iterable[tuple[int, int, int, int, int, int]]:
        """Each sample's raw counts as ``(ax, ay, az, gx, gy, gz)``, in one ``struct`` pass."""
        return _SAMPLE.iter_unpack(self.body)

    def batch(self) -> SampleBatch:
        return SampleBatch(self.seq, self.t0_ticks, self.config, self.samples)

    @classmethod
    def from_bytes(cls, data: bytes) -> SampleFrame:
        data = bytes(data)
        if len(data) < SAMPLE_HEADER_SIZE + SAMPLE_SIZE:
            raise InvalidFrame(
                f"sample frame needs at least {SAMPLE_HEADER_SIZE + SAMPLE_SIZE} bytes, got {len(data)}",
                data,
            )
        header, seq, t0, config_byte = _SAMPLE_HEADER.unpack_from(data)
        major, frame_type = header >> 4, header & 0x0F
        if major != PROTOCOL_MAJOR:
            raise UnsupportedVersion(f"frame from protocol v{major}, this code speaks v{PROTOCOL_MAJOR}", data)
        if frame_type != FrameType.SAMPLES:
            raise InvalidFrame(f"unknown frame type {frame_type}", data)
        body = len(data) - SAMPLE_HEADER_SIZE
        count, rest = divmod(body, SAMPLE_SIZE)
        if rest or count > MAX_SAMPLES_PER_FRAME:
            raise InvalidFrame(
                f"sample frame body of {body} bytes is not 1..{MAX_SAMPLES_PER_FRAME} samples of {SAMPLE_SIZE} bytes",
                data,
            )
        config = _CONFIGS.get(config_byte)
        if config is None:
            config = _CONFIGS[config_byte] = SensorConfig.from_byte(config_byte, data)
        # Checked above as a whole; seq and t0 are a u16 and a u32 just unpacked, so
        # the per-field checks of __post_init__ are skipped.
        frame = _new_object(cls)
        _set_field(frame, "seq", seq)
        _set_field(frame, "t0_ticks", t0)
        _set_field(frame, "config", config)
        _set_field(frame, "body", data[SAMPLE_HEADER_SIZE:])
        return frame


class DeviceFlags(enum.IntFlag):
    STREAMING = 0x01
    HAS_GYRO = 0x02
    HAS_VIBRATION = 0x04


_INFO = struct.Struct("<BBBBBBIH")


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """The info characteristic: readable before streaming starts.

    A companion reads it first and refuses a major version it does not speak.
    """

    major: int
    minor: int
    config: SensorConfig
    batch_size: int
    flags: DeviceFlags
    max_batch: int = MAX_SAMPLES_PER_FRAME
    tick_hz: int = 1_000_000

    SIZE: ClassVar[int] = _INFO.size

    def __post_init__(self) -> None:
        _check_range("major", self.major, 0, 255)
        _check_range("minor", self.minor, 0, 255)
        _check_range("batch_size", self.batch_size, 1, MAX_SAMPLES_PER_FRAME)
        _check_range("max_batch", self.max_batch, 1, MAX_SAMPLES_PER_FRAME)
        _check_range("tick_hz", self.tick_hz, 1, 0xFFFFFFFF)

    def __bytes__(self) -> bytes:
        return _INFO.pack(
            self.major,
            self.minor,
            self.config.to_byte(),
            self.batch_size,
            int(self.flags),
            self.max_batch,
            self.tick_hz,
            0,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> DeviceInfo:
        data = bytes(data)
        if len(data) >= 1 and data[0] != PROTOCOL_MAJOR:
            raise UnsupportedVersion(f"sensor speaks protocol v{data[0]}, this code speaks v{PROTOCOL_MAJOR}", data)
        _require(data, _INFO.size, "device info")
        major, minor, config, batch, flags, max_batch, tick_hz, _reserved = _INFO.unpack(data)
        if flags & ~int(DeviceFlags(0x07)):
            raise InvalidFrame(f"reserved device flag bits set: 0x{flags:02x}", data)
        try:
            return cls(
                major,
                minor,
                SensorConfig.from_byte(config, data),
                batch,
                DeviceFlags(flags),
                max_batch,
                tick_hz,
            )
        except InvalidParameter as exc:
            raise InvalidFrame(str(exc), data) from exc


class Opcode(enum.IntEnum):
    START = 0x01
    STOP = 0x02
    CONFIGURE = 0x03
    IDENTIFY = 0x04


class ResultCode(enum.IntEnum):
    SUCCESS = 0x00
    UNKNOWN_OPCODE = 0x01
    INVALID_PARAMETER = 0x02
    INVALID_STATE = 0x03
    FAILED = 0x04


@dataclass(frozen=True, slots=True)
class StartStreaming:
    opcode: ClassVar[Opcode] = Opcode.START

    def __bytes__(self) -> bytes:
        return bytes([self.opcode])


@dataclass(frozen=True, slots=True)
class StopStreaming:
    opcode: ClassVar[Opcode] = Opcode.STOP

    def __bytes__(self) -> bytes:
        return bytes([self.opcode])


@dataclass(frozen=True, slots=True)
class Configure:
    """Set rate, ranges and samples per notification (applies from the next batch)."""

    config: SensorConfig
    batch_size: int

    opcode: ClassVar[Opcode] = Opcode.CONFIGURE

    def __post_init__(self) -> None:
        _check_range("batch_size", self.batch_size, 1, MAX_SAMPLES_PER_FRAME)

    def __bytes__(self) -> bytes:
        return bytes([self.opcode, self.config.to_byte(), self.batch_size])


@dataclass(frozen=True, slots=True)
class Identify:
    """Buzz the vibration motor (or blink) for ``seconds`` so the wearer finds it."""

    seconds: int = 1

    opcode: ClassVar[Opcode] = Opcode.IDENTIFY

    def __post_init__(self) -> None:
        _check_range("seconds", self.seconds, 1, 30)

    def __bytes__(self) -> bytes:
        return bytes([self.opcode, self.seconds])


Command = StartStreaming | StopStreaming | Configure | Identify

_COMMAND_SIZES = {Opcode.START: 1, Opcode.STOP: 1, Opcode.CONFIGURE: 3, Opcode.IDENTIFY: 2}


def decode_command(data: bytes) -> Command:
    """Decode a control-point write; raises :class:`InvalidFrame` for anything else."""
    data = bytes(data)
    if not data:
        raise InvalidFrame("empty command", data)
    try:
        opcode = Opcode(data[0])
    except ValueError:
        raise InvalidFrame(f"unknown opcode 0x{data[0]:02x}", data) from None
    _require(data, _COMMAND_SIZES[opcode], f"{opcode.name} command")
    try:
        if opcode is Opcode.START:
            return StartStreaming()
        if opcode is Opcode.STOP:
            return StopStreaming()
        if opcode is Opcode.CONFIGURE:
            return Configure(SensorConfig.from_byte(data[1], data), data[2])
        return Identify(data[1])
    except InvalidParameter as exc:
        raise InvalidFrame(str(exc), data) from exc


RESPONSE_MARKER = 0x80


@dataclass(frozen=True, slots=True)
class CommandResponse:
    """Notified on the control characteristic after each command."""

    request: int
    result: ResultCode

    def __post_init__(self) -> None:
        _check_range("request", self.request, 0, 255)

    def __bytes__(self) -> bytes:
        return bytes([RESPONSE_MARKER, self.request, self.result])

    @classmethod
    def from_bytes(cls, data: bytes) -> CommandResponse:
        data = bytes(data)
        _require(data, 3, "command response")
        if data[0] != RESPONSE_MARKER:
            raise InvalidFrame(f"response must start with 0x80, got 0x{data[0]:02x}", data)
        try:
            return cls(data[1], ResultCode(data[2]))
        except ValueError:
            raise InvalidFrame(f"unknown result code {data[2]}", data) from None


class StatusFlags(enum.IntFlag):
    IMU_FAULT = 0x01
    FIFO_OVERFLOW = 0x02
    LOW_BATTERY = 0x04
    CLOCK_RESET = 0x08


class StreamState(enum.IntEnum):
    IDLE = 0
    STREAMING = 1


_STATUS = struct.Struct("<BBH")


@dataclass(frozen=True, slots=True)
class Status:
    """The status characteristic: stream state, fault flags, device-side overflows."""

    state: StreamState
    flags: StatusFlags = StatusFlags(0)
    overflow_samples: int = 0

    def __post_init__(self) -> None:
        _check_range("overflow_samples", self.overflow_samples, 0, 0xFFFF)

    def __bytes__(self) -> bytes:
        return _STATUS.pack(self.state, int(self.flags), self.overflow_samples)

    @classmethod
    def from_bytes(cls, data: bytes) -> Status:
        data = bytes(data)
        _require(data, _STATUS.size, "status")
        state, flags, overflow = _STATUS.unpack(data)
        if flags & ~0x0F:
            raise InvalidFrame(f"reserved status flag bits set: 0x{flags:02x}", data)
        try:
            return cls(StreamState(state), StatusFlags(flags), overflow)
        except ValueError:
            raise InvalidFrame(f"unknown stream state {state}", data) from None
