"""What drivers hand to the rest of the companion: readings in physical units."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImuReading:
    """One 6-axis (or accelerometer-only) sample on the session's timeline.

    ``t_s`` is seconds on the link's timeline: device time where the sensor has a
    clock, arrival time otherwise. ``gyro_dps`` is None for sensors without a gyro.
    ``seq`` is the sample's index in the stream (gaps mean lost samples).
    """

    t_s: float
    accel_g: tuple[float, float, float]
    gyro_dps: tuple[float, float, float] | None
    seq: int
