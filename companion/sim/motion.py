"""Motion sources: what the simulated IMU feels, sample by sample.

Body frame: x forward, y to the wearer's left, z up. Forward flexion tilts the
trunk's top toward +x. The sensor's own axes relate to the body by a mounting
rotation, so nothing downstream may assume the sensor is mounted straight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

import numpy as np

T = TypeVar("T")


class MotionSource(Protocol):
    def sample(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accelerometer (g, gravity included) and gyroscope (deg/s), each (N, 3)."""
        ...


@runtime_checkable
class FrameMotionSource(MotionSource, Protocol):
    """A motion source that can sample many frames ahead in one call.

    Its samples depend on nothing but the times asked for, its own random stream
    and ``revision``: a wearer driven live (told to move by a key) counts each such
    change there, and a sender that built frames ahead under an older revision
    gives back the ones it has not sent and builds them again.
    """

    #: Moves on whenever the source's future changes otherwise than by its times.
    revision: int

    def sample_frames(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For times of shape (K, N): accelerometer and gyroscope of shape (K, N, 3),
        equal to K calls of :meth:`sample`, one per row, in order."""
        ...

    def unsample_frames(self, frames: int, samples: int) -> None:
        """Forget the last ``frames`` rows (of ``samples`` each) of the last
        :meth:`sample_frames`: the next call draws their noise again, as if they had
        never been sampled."""
        ...


class SamplesAhead(Generic[T]):
    """What a simulated sensor sends, frame by frame, for samples taken on a regular
    grid: sample ``k`` at ``start_s + k * period_s`` (loop time; the source is asked
    for time since boot). ``make`` turns the samples of K frames (accelerometer and
    gyroscope, each (K, N, 3)) into the K things sent.

    From a :class:`FrameMotionSource` the frames are built many at a time, about
    ``ahead_s`` ahead and at most ``max_frames``, and handed out while the requests
    follow on (the same frame size, boot time and source revision); otherwise each
    frame is sampled when it is asked for. Built ahead or not, the frames are the
    same: what was built and not sent is given back to the source.
    """

    def __init__(
        self,
        motion: MotionSource,
        start_s: float,
        period_s: float,
        make: Callable[[np.ndarray, np.ndarray], list[T]],
        *,
        ahead_s: float = 4.0,
        max_frames: int = 64,
    ) -> None:
        self._motion = motion
        self._ahead = motion if isinstance(motion, FrameMotionSource) else None
        self._start_s = start_s
        self._period_s = period_s
        self._make = make
        self._ahead_samples = round(ahead_s / period_s)
        self._max_frames = max_frames
        self._built: list[T] = []
        self._next = 0  # the next unsent of ``_built``
        self._key: tuple[int, int, float, int] | None = None  # (first sample, frame size, boot_s, revision)

    def time_of(self, index: int) -> float:
        """When sample ``index`` is taken (loop time)."""
        return self._start_s + index * self._period_s

    def take(self, index: int, count: int, boot_s: float) -> T:
        """The frame of samples ``index`` to ``index + count - 1``."""
        key, ahead = self._key, self._ahead
        if key is not None and self._next < len(self._built) and ahead is not None:
            first, size, built_boot_s, revision = key
            if (
                size == count
                and built_boot_s == boot_s
                and index == first + self._next * count
                and revision == ahead.revision
            ):
                self._next += 1
                return self._built[self._next - 1]
        self.close()
        frames = 1 if ahead is None else max(1, min(self._max_frames, self._ahead_samples // count))
        times_s = self._start_s + (index + np.arange(frames * count)).reshape(frames, count) * self._period_s
        if ahead is not None:
            revision = ahead.revision
            accel, gyro = ahead.sample_frames(times_s - boot_s)
        else:
            revision = 0
            accel, gyro = self._motion.sample(times_s[0] - boot_s)
            accel, gyro = accel[None], gyro[None]
        self._built = self._make(accel, gyro)
        self._key = (index, count, boot_s, revision)
        self._next = 1
        return self._built[0]

    def close(self) -> None:
        """Give the source back what was built ahead and not sent."""
        unsent = len(self._built) - self._next
        if unsent and self._ahead is not None and self._key is not None:
            self._ahead.unsample_frames(unsent, self._key[1])
        self._built, self._next, self._key = [], 0, None


class NormalStream:
    """Standard normal draws from one generator, drawn in large chunks and handed
    out in order, so that a small draw costs a slice instead of a generator call.

    The values are exactly those the generator gives one call at a time
    (``Generator.normal(0, s, shape)`` is ``s`` times the same standard normals,
    and they do not depend on how the draws are split), as long as nothing else
    draws from the generator. The values of the last draw can be given back.
    """

    CHUNK = 8192

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buffer = np.empty(0)
        self._pos = 0

    def take(self, count: int) -> np.ndarray:
        if self._pos + count > len(self._buffer):
            fresh = self._rng.standard_normal(max(self.CHUNK, count))
            self._buffer = np.concatenate((self._buffer[self._pos :], fresh))
            self._pos = 0
        values = self._buffer[self._pos : self._pos + count]
        self._pos += count
        return values

    def give_back(self, count: int) -> None:
        """Return the last ``count`` values taken (at most the last draw's) to the stream."""
        if not 0 <= count <= self._pos:
            raise ValueError(f"cannot give back {count} values, {self._pos} are in the buffer")
        self._pos -= count


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

    revision = 0  # never told to move

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
        # Every later draw comes from here: per sample call, the accelerometer's
        # noise (N, 3) and then the gyroscope's (N, 3).
        self._normals = NormalStream(self._rng)
        self._offset = np.stack((self._gravity_sensor_g, self.gyro_bias_dps))[:, None, :]
        self._scale = np.array([noise.accel_noise_g, noise.gyro_noise_dps])[:, None, None]

    def sample(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(times_s)
        z = self._normals.take(6 * n).reshape(2, n, 3)
        accel, gyro = self._offset + self._scale * z
        return accel, gyro

    def sample_frames(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        frames, n = np.shape(times_s)
        z = self._normals.take(frames * 6 * n).reshape(frames, 2, n, 3)
        both = self._offset + self._scale * z
        return both[:, 0], both[:, 1]

    def unsample_frames(self, frames: int, samples: int) -> None:
        self._normals.give_back(frames * 6 * samples)
