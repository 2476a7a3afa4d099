"""The simulated wearer: a scripted person with ground truth at every sample.

A script is a list of segments. Each segment moves the trunk smoothly from the
previous pose to its own over ``ramp_s`` and holds it for the rest of its
duration. The pose is the trunk's forward flexion, side lean and axial twist
relative to the wearer's own upright (body frame: x forward, y left, z up).
On top come breathing, walking bounce and sway, the sensor's mounting rotation
(which may slip during the day), accelerometer and gyroscope noise, a gyroscope
bias that drifts, and sampling-time jitter.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field

import numpy as np

from .motion import ImuNoise, NormalStream

G_MS2 = 9.80665
SENSOR_HEIGHT_M = 0.45  # upper back above the hip joint, where trunk flexion pivots
SENSOR_DEPTH_M = -0.10  # on the back surface, behind the trunk's axis


class Activity(enum.Enum):
    SITTING = "sitting"
    SLUMPING = "slumping"
    SLUMPED = "slumped"
    GLANCE = "glance"
    REACH = "reach"
    LEAN_BACK = "lean_back"
    SIDE_LEAN = "side_lean"
    STAND_UP = "stand_up"
    STANDING = "standing"
    WALKING = "walking"
    SIT_DOWN = "sit_down"
    CALIBRATION_LEAN = "calibration_lean"
    STRETCH_ROTATION = "stretch_rotation"
    STRETCH_SQUEEZE = "stretch_squeeze"
    STRETCH_OVERHEAD = "stretch_overhead"


#: Activities during which the trunk is expected to move a lot (movement gate truth).
MOVING = {Activity.STAND_UP, Activity.SIT_DOWN, Activity.WALKING}


@dataclass(frozen=True, slots=True)
class Pose:
    flexion_deg: float = 0.0
    lateral_deg: float = 0.0  # positive: leaning to the wearer's right
    twist_deg: float = 0.0  # positive: turning to the wearer's left


@dataclass(frozen=True, slots=True)
class Segment:
    activity: Activity
    duration_s: float
    pose: Pose
    ramp_s: float = 1.0
    slouch: bool = False  # ground truth: this segment is part of a slouch episode


@dataclass(frozen=True, slots=True)
class Episode:
    start_s: float
    end_s: float


@dataclass
class Script:
    """Builds a wearer's timeline; every method appends and returns the script."""

    segments: list[Segment] = field(default_factory=list)
    upright: Pose = Pose()

    @property
    def duration_s(self) -> float:
        return float(sum(s.duration_s for s in self.segments))

    def add(
        self, activity: Activity, duration_s: float, pose: Pose, ramp_s: float = 1.0, slouch: bool = False
    ) -> Script:
        if duration_s <= 0 or ramp_s <= 0 or ramp_s > duration_s:
            raise ValueError(f"segment needs 0 < ramp_s <= duration_s, got {ramp_s} and {duration_s}")
        self.segments.append(Segment(activity, duration_s, pose, ramp_s, slouch))
        return self

    def sit(self, seconds: float, ramp_s: float = 1.5) -> Script:
        return self.add(Activity.SITTING, seconds, self.upright, ramp_s)

    def calibration(self) -> Script:
        """Sit upright, lean forward 20 deg as the guided calibration asks, sit up."""
        self.sit(8.0)
        self.add(Activity.CALIBRATION_LEAN, 4.0, Pose(20.0), ramp_s=1.5)
        return self.sit(4.0)

    def slump(self, to_deg: float, over_s: float, hold_s: float) -> Script:
        """A slow slump over ``over_s``, held; ground truth marks it a slouch."""
        self.add(Activity.SLUMPING, over_s, Pose(to_deg), ramp_s=over_s, slouch=True)
        return self.add(Activity.SLUMPED, hold_s, Pose(to_deg), ramp_s=min(1.0, hold_s), slouch=True)

    def glance(self, to_deg: float = 10.0, seconds: float = 3.0) -> Script:
        self.add(Activity.GLANCE, seconds, Pose(to_deg), ramp_s=0.6)
        return self.sit(1.0, ramp_s=0.6)

    def reach(self, to_deg: float = 30.0, seconds: float = 3.0) -> Script:
        self.add(Activity.REACH, seconds, Pose(to_deg, 0.0, 10.0), ramp_s=1.0)
        return self.sit(1.5, ramp_s=1.0)

    def lean_back(self, to_deg: float = -15.0, seconds: float = 90.0) -> Script:
        self.add(Activity.LEAN_BACK, seconds, Pose(to_deg), ramp_s=2.0)
        return self.sit(2.0, ramp_s=2.0)

    def side_lean(self, to_deg: float = 14.0, seconds: float = 75.0) -> Script:
        self.add(Activity.SIDE_LEAN, seconds, Pose(2.0, to_deg), ramp_s=2.0)
        return self.sit(2.0, ramp_s=2.0)

    def stand_up(self) -> Script:
        self.add(Activity.STAND_UP, 0.9, Pose(45.0), ramp_s=0.8)
        return self.add(Activity.STANDING, 2.0, Pose(-2.0), ramp_s=0.9)

    def stand(self, seconds: float) -> Script:
        return self.add(Activity.STANDING, seconds, Pose(-2.0), ramp_s=1.0)

    def walk(self, seconds: float) -> Script:
        return self.add(Activity.WALKING, seconds, Pose(3.0), ramp_s=1.0)

    def sit_down(self) -> Script:
        self.add(Activity.SIT_DOWN, 1.0, Pose(40.0), ramp_s=0.9)
        return self.sit(2.0, ramp_s=1.0)

    def stretch_rotation(self, left_deg: float = 45.0, right_deg: float = 45.0, repeats: int = 2) -> Script:
        """Standing trunk rotation: turn left, back, turn right, back."""
        for _ in range(repeats):
            self.add(Activity.STRETCH_ROTATION, 4.0, Pose(-2.0, 0.0, left_deg), ramp_s=2.0)
            self.add(Activity.STRETCH_ROTATION, 2.5, Pose(-2.0), ramp_s=2.0)
            self.add(Activity.STRETCH_ROTATION, 4.0, Pose(-2.0, 0.0, -right_deg), ramp_s=2.0)
            self.add(Activity.STRETCH_ROTATION, 2.5, Pose(-2.0), ramp_s=2.0)
        return self

    def stretch_squeeze(self, extension_deg: float = 10.0, hold_s: float = 5.0, repeats: int = 3) -> Script:
        for _ in range(repeats):
            self.add(Activity.STRETCH_SQUEEZE, hold_s + 1.5, Pose(-extension_deg), ramp_s=1.5)
            self.add(Activity.STRETCH_SQUEEZE, 2.5, self.upright, ramp_s=1.5)
        return self

    def stretch_overhead(self, extension_deg: float = 15.0, hold_s: float = 5.0, repeats: int = 3) -> Script:
        for _ in range(repeats):
            self.add(Activity.STRETCH_OVERHEAD, hold_s + 2.0, Pose(-extension_deg), ramp_s=2.0)
            self.add(Activity.STRETCH_OVERHEAD, 2.5, self.upright, ramp_s=2.0)
        return self


def random_mounting(rng: np.random.Generator) -> np.ndarray:
    """Any orientation at all: tilted, rotated or upside down."""
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def trunk_orientation(flexion_deg, lateral_deg, twist_deg) -> np.ndarray:
    """World-from-trunk rotations (N, 3, 3): twist about z, then flexion, then side lean.

    With this order the up direction seen from the trunk is
    (-sin f, cos f sin l, cos f cos l): twist never changes it. The product
    Rz(twist) Ry(flexion) Rx(lean) is written out entry by entry: a stack of 3x3
    matrix products costs more than the arithmetic, and the sensors ask for
    many samples at once.
    """
    twist, flexion, lean = np.radians(
        np.broadcast_arrays(*(np.asarray(a, float) for a in (twist_deg, flexion_deg, lateral_deg)))
    )
    cz, sz = np.cos(twist), np.sin(twist)
    cy, sy = np.cos(flexion), np.sin(flexion)
    cx, sx = np.cos(lean), np.sin(lean)
    m = np.empty((*np.shape(twist), 3, 3))
    sy_sx, sy_cx = sy * sx, sy * cx
    m[..., 0, 0] = cz * cy
    m[..., 0, 1] = cz * sy_sx - sz * cx
    m[..., 0, 2] = cz * sy_cx + sz * sx
    m[..., 1, 0] = sz * cy
    m[..., 1, 1] = sz * sy_sx + cz * cx
    m[..., 1, 2] = sz * sy_cx - cz * sx
    m[..., 2, 0] = -sy
    m[..., 2, 1] = cy * sx
    m[..., 2, 2] = cy * cx
    return m


class SimulatedWearer:
    """A :class:`MotionSource` following a :class:`Script`, with ground truth."""

    def __init__(
        self,
        script: Script,
        *,
        mounting: np.ndarray | None = None,
        slips: list[tuple[float, np.ndarray]] | None = None,
        noise: ImuNoise = ImuNoise(),
        timestamp_jitter_s: float = 0.0005,
        loop: bool = False,
        seed: int = 0,
    ) -> None:
        self.script = script
        self.noise = noise
        self.loop = loop
        self.timestamp_jitter_s = timestamp_jitter_s
        self._rng = np.random.default_rng(seed)
        self.mounting = random_mounting(self._rng) if mounting is None else np.asarray(mounting, float)
        self.slips = sorted(slips or [], key=lambda s: s[0])
        segments = script.segments
        if not segments:
            raise ValueError("the script is empty")
        self._starts = np.cumsum([0.0] + [s.duration_s for s in segments[:-1]])
        self._ramps = np.array([s.ramp_s for s in segments])
        self._targets = np.array([[s.pose.flexion_deg, s.pose.lateral_deg, s.pose.twist_deg] for s in segments])
        self._previous = np.vstack(
            [[script.upright.flexion_deg, script.upright.lateral_deg, script.upright.twist_deg], self._targets[:-1]]
        )
        self._walking = np.array([s.activity is Activity.WALKING for s in segments])
        self.duration_s = script.duration_s
        self._bias0 = self._rng.normal(0.0, noise.gyro_bias_dps, 3)
        knots = int(self.duration_s // 60) + 3
        steps = self._rng.normal(0.0, noise.gyro_bias_walk_dps * np.sqrt(60.0), (knots, 3))
        self._bias_knots = self._bias0 + np.cumsum(steps, axis=0) - steps[0]
        # Every later draw comes from here, sample by sample (see sample_frames).
        self._normals = NormalStream(self._rng)

    # -- ground truth -------------------------------------------------------------

    def _script_time(self, times_s: np.ndarray) -> np.ndarray:
        t = np.asarray(times_s, float)
        return np.mod(t, self.duration_s) if self.loop else np.clip(t, 0.0, self.duration_s)

    def _segment_index(self, t: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self._starts, t, side="right") - 1, 0, len(self._starts) - 1)

    def scripted_pose(self, times_s: np.ndarray) -> np.ndarray:
        """(N, 3) flexion, lateral, twist in degrees, without breathing or gait."""
        t = self._script_time(times_s)
        i = self._segment_index(t)
        alpha = np.clip((t - self._starts[i]) / self._ramps[i], 0.0, 1.0)
        smooth = (1.0 - np.cos(np.pi * alpha)) / 2.0
        return self._previous[i] + (self._targets[i] - self._previous[i]) * smooth[:, None]

    def walking_mask(self, times_s: np.ndarray) -> np.ndarray:
        return self._walking[self._segment_index(self._script_time(times_s))]

    def activity(self, times_s: np.ndarray) -> list[Activity]:
        idx = self._segment_index(self._script_time(times_s))
        return [self.script.segments[k].activity for k in idx]

    def truth(self, times_s: np.ndarray) -> np.ndarray:
        """(N, 3) true flexion, lateral and twist including breathing and gait sway."""
        t = np.asarray(times_s, float)
        pose = self.scripted_pose(t)
        pose[:, 0] += 0.4 * np.sin(2 * np.pi * 0.25 * t)  # breathing
        walking = self.walking_mask(t)
        if walking.any():
            tw = t[walking]
            pose[walking, 0] += 1.5 * np.sin(2 * np.pi * 1.9 * tw)
            pose[walking, 1] += 2.0 * np.sin(2 * np.pi * 0.95 * tw)
            pose[walking, 2] += 5.0 * np.sin(2 * np.pi * 0.95 * tw + 0.5)
        return pose

    def episodes(self, threshold_deg: float = 12.0) -> list[Episode]:
        """Slouch episodes: scripted slouch segments, from the moment the scripted
        flexion crosses ``threshold_deg`` until it drops back below it."""
        step = 0.05
        t = np.arange(0.0, self.duration_s, step)
        flexion = self.scripted_pose(t)[:, 0]
        seg = self._segment_index(t)
        slouch = np.array([s.slouch for s in self.script.segments])[seg]
        above = slouch & (flexion > threshold_deg)
        out: list[Episode] = []
        start = None
        for k, flag in enumerate(above):
            if flag and start is None:
                start = t[k]
            elif not flag and start is not None:
                out.append(Episode(start, t[k]))
                start = None
        if start is not None:
            out.append(Episode(start, self.duration_s))
        return out

    # -- the sensor's view ----------------------------------------------------------

    def exact_frame(self) -> dict[str, list[float]]:
        """The body frame a perfect calibration would find (sensor axes): for tests
        and demos that start calibrated."""
        return {"up": list(self.mounting.T @ [0.0, 0.0, 1.0]), "forward": list(self.mounting.T @ [1.0, 0.0, 0.0])}

    def mounting_at(self, t_s: float) -> np.ndarray:
        current = self.mounting
        for when, mounting in self.slips:
            if t_s >= when:
                current = np.asarray(mounting, float)
        return current

    def _orientation(self, t: np.ndarray) -> np.ndarray:
        pose = self.truth(t)
        return trunk_orientation(pose[:, 0], pose[:, 1], pose[:, 2])

    def _bias(self, t: np.ndarray) -> np.ndarray:
        k = np.clip(t / 60.0, 0, len(self._bias_knots) - 1.000001)
        i = k.astype(int)
        frac = (k - i)[:, None]
        return self._bias_knots[i] * (1 - frac) + self._bias_knots[i + 1] * frac

    def ideal(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free specific force (g) and angular rate (deg/s) in the trunk frame."""
        t = np.asarray(times_s, float)
        h = 0.005
        # One call for the three instants: the sensors ask for a frame or two at a time,
        # where numpy's per-call cost, not the arithmetic, is what a sample costs.
        r_prev, r_now, r_next = np.split(self._orientation(np.concatenate([t - h, t, t + h])), 3)
        # Angular velocity in the trunk frame: the skew part of R^T dR/dt, of which
        # only the entries (2, 1), (0, 2) and (1, 0) are needed.
        rate = (r_next - r_prev) / (2 * h)
        gyro = np.degrees(
            np.stack(
                [
                    np.einsum("nk,nk->n", r_now[:, :, 2], rate[:, :, 1]),
                    np.einsum("nk,nk->n", r_now[:, :, 0], rate[:, :, 2]),
                    np.einsum("nk,nk->n", r_now[:, :, 1], rate[:, :, 0]),
                ],
                -1,
            )
        )
        # The sensor sits at a lever (depth, 0, height) from the hip: its position is
        # R @ lever, and its acceleration the second difference of that.
        position = [SENSOR_DEPTH_M * r[:, :, 0] + SENSOR_HEIGHT_M * r[:, :, 2] for r in (r_prev, r_now, r_next)]
        linear = (position[2] - 2 * position[1] + position[0]) / (h * h) / G_MS2
        walking = self.walking_mask(t)
        linear[walking, 2] += 0.25 * np.sin(2 * np.pi * 1.9 * t[walking])
        linear[walking, 0] += 0.08 * np.sin(2 * np.pi * 1.9 * t[walking] + 1.0)
        specific_force = linear + np.array([0.0, 0.0, 1.0])
        accel = np.einsum("nji,nj->ni", r_now, specific_force)
        return accel, gyro

    #: Changes only when the wearer is told to move otherwise than the script says
    #: (:class:`FrameMotionSource`): a scripted wearer never is.
    revision = 0

    def sample(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        accel, gyro = self.sample_frames(np.asarray(times_s, float)[None, :])
        return accel[0], gyro[0]

    def sample_frames(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of sample times, each drawn as one :meth:`sample` call would: its
        timing jitter, then its accelerometer noise, then its gyroscope noise."""
        times = np.asarray(times_s, float)
        frames, n = times.shape
        jitter = self.timestamp_jitter_s
        z = self._normals.take(frames * (7 if jitter else 6) * n).reshape(frames, -1)
        if jitter:
            times = times + jitter * z[:, :n]
            z = z[:, n:]
        t = times.reshape(-1)
        accel_trunk, gyro_trunk = self.ideal(t)
        # The rotation into the sensor's axes is written out (einsum) rather than a
        # matrix product: BLAS rounds one row differently from many, and a row must
        # come out the same whether it is drawn alone or in a block.
        if not self.slips:
            accel = np.einsum("ij,nj->ni", self.mounting.T, accel_trunk)
            gyro = np.einsum("ij,nj->ni", self.mounting.T, gyro_trunk)
        else:
            accel = np.empty_like(accel_trunk)
            gyro = np.empty_like(gyro_trunk)
            # The mounting may differ per sample after a slip: group by mounting.
            boundaries = [0.0] + [when for when, _ in self.slips] + [np.inf]
            for lo, hi in itertools.pairwise(boundaries):
                sel = (t >= lo) & (t < hi) if lo > 0 else t < hi
                if sel.any():
                    sensor_from_trunk = self.mounting_at(lo).T
                    accel[sel] = np.einsum("ij,nj->ni", sensor_from_trunk, accel_trunk[sel])
                    gyro[sel] = np.einsum("ij,nj->ni", sensor_from_trunk, gyro_trunk[sel])
        count = frames * n
        accel += self.noise.accel_noise_g * z[:, : 3 * n].reshape(count, 3)
        gyro += self._bias(t) + self.noise.gyro_noise_dps * z[:, 3 * n :].reshape(count, 3)
        return accel.reshape(frames, n, 3), gyro.reshape(frames, n, 3)

    def unsample_frames(self, frames: int, samples: int) -> None:
        """Give back the draws of the last ``frames`` rows of the last :meth:`sample_frames`."""
        self._normals.give_back(frames * (7 if self.timestamp_jitter_s else 6) * samples)


class InteractiveWearer(SimulatedWearer):
    """A wearer driven live (``posture demo``): each command starts from wherever the
    trunk is at the next sample and runs its segments in order; the last one holds."""

    def __init__(self, *, seed: int = 0, mounting: np.ndarray | None = None, noise: ImuNoise = ImuNoise()) -> None:
        super().__init__(Script().sit(24 * 3600.0), mounting=mounting, noise=noise, seed=seed)
        upright = np.zeros(3)
        # (start_s, from pose, segment) in time order; the first covers all of the past.
        self._timeline: list[tuple[float, np.ndarray, Segment]] = [
            (float("-inf"), upright, Segment(Activity.SITTING, 1.0, Pose(), 1.0))
        ]
        self._pending: list[Segment] = []
        self._timeline_arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.current = Activity.SITTING

    def perform(self, *segments: Segment) -> None:
        """Queue a movement; it begins at the next sample the sensor takes (a sender
        that drew samples ahead gives back those it has not sent: see ``revision``)."""
        self._pending = list(segments)
        self.revision += 1

    # Convenience movements for the demo keys.
    def slouch(self) -> None:
        self.perform(Segment(Activity.SLUMPING, 8.0, Pose(22.0), 8.0, slouch=True))

    SIT_UP = (Segment(Activity.SITTING, 1.5, Pose(), 1.5),)

    def sit_up(self) -> None:
        self.perform(*self.SIT_UP)

    def calibration_over(self) -> None:
        """A guided calibration finished or was abandoned: sit up again."""
        self.sit_up()

    def lean_back(self) -> None:
        self.perform(Segment(Activity.LEAN_BACK, 2.0, Pose(-15.0), 2.0))

    def lean_forward(self, degrees: float = 20.0) -> None:
        self.perform(Segment(Activity.CALIBRATION_LEAN, 1.5, Pose(degrees), 1.5))

    def stand(self) -> None:
        self.perform(
            Segment(Activity.STAND_UP, 0.9, Pose(45.0), 0.8),
            Segment(Activity.STANDING, 1.0, Pose(-2.0), 0.9),
        )

    def walk(self) -> None:
        if self.current not in (Activity.STANDING, Activity.WALKING):
            self.perform(
                Segment(Activity.STAND_UP, 0.9, Pose(45.0), 0.8),
                Segment(Activity.STANDING, 1.0, Pose(-2.0), 0.9),
                Segment(Activity.WALKING, 1.0, Pose(3.0), 1.0),
            )
        else:
            self.perform(Segment(Activity.WALKING, 1.0, Pose(3.0), 1.0))

    def move_to(
        self, flexion_deg: float, lateral_deg: float = 0.0, twist_deg: float = 0.0, ramp_s: float = 2.0
    ) -> None:
        """Any seated pose: used to follow the stretch screen in the demo."""
        self.perform(Segment(Activity.STRETCH_ROTATION, ramp_s, Pose(flexion_deg, lateral_deg, twist_deg), ramp_s))

    def sit_down(self) -> None:
        self.perform(Segment(Activity.SIT_DOWN, 1.0, Pose(40.0), 0.9), Segment(Activity.SITTING, 1.5, Pose(), 1.0))

    def _apply_pending(self, t0: float) -> None:
        if not self._pending:
            return
        start = t0
        pose = self._pose_at(np.array([t0]))[0]
        # A new movement replaces whatever was still queued after t0; of the past only
        # the last few entries are kept (a sample's jitter may reach just before t0).
        past = [entry for entry in self._timeline if entry[0] <= t0]
        self._timeline = past[-4:]
        for segment in self._pending:
            self._timeline.append((start, pose, segment))
            pose = np.array([segment.pose.flexion_deg, segment.pose.lateral_deg, segment.pose.twist_deg])
            start += segment.duration_s
        self._pending = []
        self._timeline_arrays = None

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The timeline as arrays (starts, from poses, target poses, ramps, walking),
        built again only when the timeline changes: a queued day is hundreds of
        entries, and the sensor samples a frame at a time."""
        if self._timeline_arrays is None:
            timeline = self._timeline
            targets = [[seg.pose.flexion_deg, seg.pose.lateral_deg, seg.pose.twist_deg] for _, _, seg in timeline]
            self._timeline_arrays = (
                np.array([start for start, _, _ in timeline]),
                np.array([origin for _, origin, _ in timeline], dtype=float),
                np.array(targets, dtype=float),
                np.array([seg.ramp_s for _, _, seg in timeline]),
                np.array([seg.activity is Activity.WALKING for _, _, seg in timeline]),
            )
        return self._timeline_arrays

    def _entries(self, t: np.ndarray) -> np.ndarray:
        starts = self._arrays()[0]
        return np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)

    def _pose_at(self, t: np.ndarray) -> np.ndarray:
        starts, origins, targets, ramps, _ = self._arrays()
        idx = self._entries(t)
        # The first entry starts at -inf: its ramp is long done (alpha 1).
        alpha = np.clip((t - starts[idx]) / ramps[idx], 0.0, 1.0)
        smooth = (1.0 - np.cos(np.pi * alpha)) / 2.0
        origin = origins[idx]
        return origin + (targets[idx] - origin) * smooth[:, None]

    def scripted_pose(self, times_s: np.ndarray) -> np.ndarray:
        return self._pose_at(np.asarray(times_s, float))

    def walking_mask(self, times_s: np.ndarray) -> np.ndarray:
        return self._arrays()[4][self._entries(np.asarray(times_s, float))]

    def activity(self, times_s: np.ndarray) -> list[Activity]:
        idx = self._entries(np.asarray(times_s, float))
        return [self._timeline[k][2].activity for k in idx]

    def episodes(self, threshold_deg: float = 12.0) -> list[Episode]:
        return []

    def sample_frames(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        times = np.asarray(times_s, float)
        self._apply_pending(float(times[0, 0]))
        self.current = self._timeline[-1][2].activity
        return super().sample_frames(times)


def workday(seed: int = 0, hours: float = 8.0) -> Script:
    """A seeded, scripted office day: calibration, work with glances and reaches,
    slow slumps, leaning back, side leans, breaks with walking, stretches."""
    rng = np.random.default_rng(seed)
    script = Script()
    script.calibration()
    end_s = hours * 3600.0
    next_break_s = rng.uniform(40, 60) * 60
    while script.duration_s < end_s:
        if script.duration_s >= next_break_s:
            script.stand_up().walk(rng.uniform(60, 240)).stand(rng.uniform(10, 40))
            if rng.random() < 0.5:
                script.stretch_rotation(rng.uniform(35, 55), rng.uniform(35, 55), repeats=1)
            script.sit_down()
            next_break_s = script.duration_s + rng.uniform(40, 60) * 60
            continue
        roll = rng.random()
        if roll < 0.45:
            script.sit(rng.uniform(20, 90))
            for _ in range(rng.integers(0, 3)):
                script.glance(rng.uniform(5, 15), rng.uniform(2, 4)).sit(rng.uniform(5, 20))
        elif roll < 0.60:
            script.reach(rng.uniform(20, 40), rng.uniform(2, 4)).sit(rng.uniform(10, 30))
        elif roll < 0.78:
            script.slump(rng.uniform(16, 28), rng.uniform(45, 150), rng.uniform(60, 300))
            script.sit(rng.uniform(20, 60), ramp_s=rng.uniform(1.5, 4))
        elif roll < 0.88:
            script.lean_back(rng.uniform(-20, -8), rng.uniform(30, 150))
        elif roll < 0.96:
            script.side_lean(rng.choice([-1, 1]) * rng.uniform(8, 18), rng.uniform(20, 120))
        else:
            script.stretch_squeeze(rng.uniform(6, 14), repeats=2)
    return script
