"""The open wire protocol of the posture sensor, and simulated sensors that speak it.

The single source of truth shared by the companion and the simulated sensors:
UUIDs, frames with encode/decode, versioning and golden vectors.
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
    "ACCEL_RANGES_G", "GYRO_RANGES_DPS", "MAX_SAMPLES_PER_FRAME", "PROTOCOL_MAJOR",
    "PROTOCOL_MINOR", "RATES_HZ", "CommandResponse", "Configure", "DeviceFlags",
    "DeviceInfo", "Identify", "InvalidFrame", "InvalidParameter", "Opcode",
    "OrderedBatch", "ProtocolError", "RawSample", "ResultCode", "SampleBatch",
    "SampleSequencer", "SensorConfig", "SequenceStats", "StartStreaming", "Status",
    "StatusFlags", "StopStreaming", "StreamState", "UnsupportedVersion",
    "decode_command", "samples_per_frame",
]
