"""The open wire protocol of the posture sensor, for firmware authors and the companion.

The single source of truth shared by the companion, the simulated sensors
(``companion.sim``) and firmware: UUIDs, frames with encode/decode, versioning,
golden vectors, the C header and the reference firmware. Imports nothing from the
companion.
"""

from .errors import InvalidFrame, InvalidParameter, ProtocolError, UnsupportedVersion
from .frames import (
    ACCEL_RANGES_G,
    GYRO_RANGES_DPS,
    MAX_SAMPLES_PER_FRAME,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    RATES_HZ,
    CommandResponse,
    Configure,
    DeviceFlags,
    DeviceInfo,
    Identify,
    Opcode,
    RawSample,
    ResultCode,
    SampleBatch,
    SampleFrame,
    SensorConfig,
    StartStreaming,
    Status,
    StatusFlags,
    StopStreaming,
    StreamState,
    decode_command,
    samples_per_frame,
)
from .stream import OrderedBatch, SampleSequencer, SequenceStats

__all__ = [
    "ACCEL_RANGES_G",
    "GYRO_RANGES_DPS",
    "MAX_SAMPLES_PER_FRAME",
    "PROTOCOL_MAJOR",
    "PROTOCOL_MINOR",
    "RATES_HZ",
    "CommandResponse",
    "Configure",
    "DeviceFlags",
    "DeviceInfo",
    "Identify",
    "InvalidFrame",
    "InvalidParameter",
    "Opcode",
    "OrderedBatch",
    "ProtocolError",
    "RawSample",
    "ResultCode",
    "SampleBatch",
    "SampleFrame",
    "SampleSequencer",
    "SensorConfig",
    "SequenceStats",
    "StartStreaming",
    "Status",
    "StatusFlags",
    "StopStreaming",
    "StreamState",
    "UnsupportedVersion",
    "decode_command",
    "samples_per_frame",
]
