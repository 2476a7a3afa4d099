"""The body frame: the wearer's upright and forward directions in sensor axes.

The sensor can sit on the back at any angle. Calibration captures the gravity
direction while the wearer sits upright (``up``), then the direction gravity moves
when they lean forward (which gives ``forward``). Flexion and side lean are then
read in the body frame whatever the mounting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import RecordingInvalid

MIN_LEAN_DEG = 8.0


class CalibrationError(RecordingInvalid):
    """Calibration could not be done; the message says what to do instead."""


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    if n < 1e-9:
        raise CalibrationError("no gravity reading to calibrate from")
    return np.asarray(v, float) / n


def _floats(v: np.ndarray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


@dataclass(frozen=True)
class BodyFrame:
    """Unit vectors in sensor axes: up (upright gravity), forward, left."""

    up: tuple[float, float, float]
    forward: tuple[float, float, float]
    left: tuple[float, float, float] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "left", _floats(np.cross(self.up, self.forward)))

    @classmethod
    def from_lean(cls, up: np.ndarray, leaning: np.ndarray) -> BodyFrame:
        """From gravity upright and gravity while leaning forward."""
        up = _unit(up)
        leaning = _unit(leaning)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, float(up @ leaning)))))
        if angle < MIN_LEAN_DEG:
            raise CalibrationError(f"the forward lean was only {angle:.0f} deg; lean at least {MIN_LEAN_DEG:.0f} deg")
        # Leaning forward moves the up direction toward the wearer's back.
        backward = leaning - (leaning @ up) * up
        return cls(_floats(up), _floats(_unit(-backward)))

    def angles_deg(self, gravity: np.ndarray) -> tuple[float, float]:
        """Forward flexion and lateral lean (positive to the right) for a gravity reading.

        Each is the elevation of the up direction out of the other's plane, so both
        stay defined at any posture (a 90 deg forward bend has no sideways wrap).
        """
        up, fwd, left = self.up, self.forward, self.left
        gx, gy, gz = float(gravity[0]), float(gravity[1]), float(gravity[2])
        x = gx * fwd[0] + gy * fwd[1] + gz * fwd[2]
        y = gx * left[0] + gy * left[1] + gz * left[2]
        z = gx * up[0] + gy * up[1] + gz * up[2]
        return math.degrees(math.atan2(-x, math.hypot(y, z))), math.degrees(math.atan2(y, math.hypot(x, z)))

    def angles_deg_many(self, gravity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`angles_deg` for an (n, 3) array of gravity readings."""
        x = gravity @ np.array(self.forward)
        y = gravity @ np.array(self.left)
        z = gravity @ np.array(self.up)
        return np.degrees(np.arctan2(-x, np.hypot(y, z))), np.degrees(np.arctan2(y, np.hypot(x, z)))

    def as_dict(self) -> dict[str, list[float]]:
        return {"up": list(self.up), "forward": list(self.forward)}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> BodyFrame:
        up = _unit(np.array(data["up"], float))
        forward = np.array(data["forward"], float)
        forward = _unit(forward - (forward @ up) * up)
        return cls(_floats(up), _floats(forward))
