"""Motion sources: what the simulated IMU feels, sample by sample.

Body frame: x forward, y to the wearer's left, z up. Forward flexion tilts the
trunk's top toward +x. The sensor's own axes relate to the body by a mounting
rotation, so nothing downstream may assume the sensor is mounted straight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class MotionSource(Protocol):
    def sample(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accelerometer (g, gravity included) and gyroscope (deg/s), each (N, 3)."""
        ...


@dataclass(frozen=True, slots=True)
class ImuNoise:
    """Sensor imperfections, close to a consumer 6-axis IMU (LSM6DS3 class)."""

    accel_noise_g: float = 0.003
    gyro_noise_dps: float = 0.08
    gyro_bias_dps: float = 0.5
    gyro_bias_walk_dps: float = 0.002


def rotation(axis: str, angle_deg: float) -> np.ndarray:
    """A right-handed rotation matrix about one body axis."""
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    if axis == "z":
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    raise ValueError(f"axis must be x, y or z, got {axis!r}")


def trunk_rotation(flexion_deg: float, lateral_deg: float = 0.0) -> np.ndarray:
    """Trunk orientation in the world: forward flexion about y, side lean about x."""
    return rotation("y", flexion_deg) @ rotation("x", -lateral_deg)


class StillWearer:
    """A wearer sitting still at a fixed posture: gravity, noise, gyro bias."""

    def __init__(
        self,
        *,
        flexion_deg: float = 0.0,
        lateral_deg: float = 0.0,
        mounting: np.ndarray | None = None,
        noise: ImuNoise = ImuNoise(),
        seed: int = 0,
    ) -> None:
        self._rng = np.random.default_rng(seed)
        self.noise = noise
        self.mounting = np.eye(3) if mounting is None else np.asarray(mounting, float)
        self.gyro_bias_dps = self._rng.normal(0.0, noise.gyro_bias_dps, 3)
        world_to_sensor = (trunk_rotation(flexion_deg, lateral_deg) @ self.mounting).T
        self._gravity_sensor_g = world_to_sensor @ np.array([0.0, 0.0, 1.0])

    def sample(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(times_s)
        accel = self._gravity_sensor_g + self._rng.normal(0.0, self.noise.accel_noise_g, (n, 3))
        gyro = self.gyro_bias_dps + self._rng.normal(0.0, self.noise.gyro_noise_dps, (n, 3))
        return accel, gyro
