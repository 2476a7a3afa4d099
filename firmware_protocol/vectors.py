"""Golden test vectors: bytes any implementation of the protocol must produce and accept.

``vectors.json`` is data, not generated at test time: a change to it is a change to
the protocol. :func:`build` turns a vector's ``fields`` into the frame they describe.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from .frames import (
    CommandResponse,
    Configure,
    DeviceFlags,
    DeviceInfo,
    Identify,
    RawSample,
    ResultCode,
    SampleBatch,
    SensorConfig,
    StartStreaming,
    Status,
    StatusFlags,
    StopStreaming,
    StreamState,
)


def load() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("vectors.json").read_text())


def _config(fields: dict[str, Any]) -> SensorConfig:
    return SensorConfig(fields["rate_hz"], fields["accel_range_g"], fields["gyro_range_dps"])


def build(frame: str, fields: dict[str, Any]) -> object:
    """The frame a valid vector describes."""
    if frame == "SampleBatch":
        return SampleBatch(
            fields["seq"],
            fields["t0_ticks"],
            _config(fields),
            tuple(RawSample(*s) for s in fields["samples"]),
        )
    if frame == "DeviceInfo":
        return DeviceInfo(
            fields["major"],
            fields["minor"],
            _config(fields),
            fields["batch_size"],
            DeviceFlags(fields["flags"]),
            fields["max_batch"],
            fields["tick_hz"],
        )
    if frame == "Configure":
        return Configure(_config(fields), fields["batch_size"])
    if frame == "StartStreaming":
        return StartStreaming()
    if frame == "StopStreaming":
        return StopStreaming()
    if frame == "Identify":
        return Identify(fields["seconds"])
    if frame == "CommandResponse":
        return CommandResponse(fields["request"], ResultCode(fields["result"]))
    if frame == "Status":
        return Status(StreamState(fields["state"]), StatusFlags(fields["flags"]), fields["overflow_samples"])
    raise KeyError(f"no frame type {frame!r}")
