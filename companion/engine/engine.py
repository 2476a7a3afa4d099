"""The posture engine: fusion per sample, decisions per tick (every 0.25 s of samples).

Per sample only the orientation filter runs (x-io Fusion through imufusion, with
its gyroscope bias estimator); everything else runs four times a second. Two entry
points give the same ticks and events: ``process`` takes readings (the live path,
a notification at a time: running sums per sample, ``_tick`` per tick) and
``process_arrays`` takes numpy arrays (recordings, simulations: tick sums by numpy,
and runs of ticks decided together, ``_decide``), which keeps the whole engine
close to the bare fusion loop's cost.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import imufusion
import numpy as np

from ..readings import ImuReading
from .activity import ACTIVITIES, FIDGETING_CODE, STILL_CODE, Activity, ActivityGate
from .calibration import BodyFrame, CalibrationError
from .events import (
    CalibrationCompleted,
    CalibrationProgress,
    DataGap,
    EngineEvent,
    GyroscopeMismatch,
    RecalibrationNeeded,
)
from .gyrocheck import GyroCheck
from .settings import EngineSettings
from .slouch import SlouchDetector
from .ticks import directions, spreads, turn_rates_dps

TICK_S = 0.25
STARTUP_S = 3.0  # the filter's own start-up while its gain ramps down (3 s in Fusion)
SLIP_ERROR_DEG = 10.0
SLIP_TICKS = 4
UPRIGHT_HOLD_S = 4.0
LEAN_MIN_DEG = 12.0
LEAN_HOLD_S = 1.0
CALIBRATION_GRACE_S = 5.0
RECOVERY_S = 5.0  # the filter's rejection timeout
_SLIP_COS = math.cos(math.radians(SLIP_ERROR_DEG))  # time to sit back up after the guided lean
_ZERO = (0.0, 0.0, 0.0)
_ZERO32 = np.zeros(3, dtype=np.float32)


def _arrays(readings: Sequence[ImuReading]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    t = np.array([r.t_s for r in readings], dtype=float)
    accel = np.array([r.accel_g for r in readings], dtype=float).reshape(-1, 3)
    if any(r.gyro_dps is None for r in readings):
        return t, accel, None
    return t, accel, np.array([r.gyro_dps for r in readings], dtype=float).reshape(-1, 3)


def _next(rows: np.ndarray, start: int, default: int) -> int:
    """The first of the sorted ``rows`` at or after ``start``, or ``default``."""
    k = int(np.searchsorted(rows, start))
    return min(default, int(rows[k])) if k < len(rows) else default


def _last_before(rows: np.ndarray, start: int, stop: int) -> int | None:
    """The last of the sorted ``rows`` in start..stop-1, or None."""
    k = int(np.searchsorted(rows, stop)) - 1
    return int(rows[k]) if k >= 0 and rows[k] >= start else None


class EngineState(enum.Enum):
    UNCALIBRATED = "uncalibrated"
    CALIBRATING = "calibrating"
    UPRIGHT = "upright"
    SLOUCHING = "slouching"
    ALERTED = "alerted"
    MOVING = "moving"
    RECALIBRATE = "recalibrate"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class PostureSnapshot:
    """What the engine knows at ``t_s``: enough to draw the live screen."""

    t_s: float
    flexion_deg: float | None
    lateral_deg: float | None
    activity: Activity
    state: EngineState
    held_s: float
    delay_s: float


class _GuidedCalibration:
    """Upright (still for 3 s), then a forward lean (>= 12 deg, held 1 s)."""

    def __init__(self, t_s: float) -> None:
        self.phase = "upright"
        self.up: np.ndarray | None = None
        self._since: float | None = None
        self._sum = np.zeros(3)
        self._moving_reported = False
        self.started_s = t_s

    @property
    def hold_started_s(self) -> float | None:
        return self._since

    def tick(self, t_s: float, gravity: np.ndarray, activity: Activity) -> list[EngineEvent]:
        if self.phase == "upright":
            return self._upright(t_s, gravity, activity)
        return self._lean(t_s, gravity, activity)

    def _restart_hold(self) -> None:
        self._since = None
        self._sum = np.zeros(3)

    def _upright(self, t_s: float, gravity: np.ndarray, activity: Activity) -> list[EngineEvent]:
        if activity is not Activity.STILL:
            self._restart_hold()
            if not self._moving_reported:
                self._moving_reported = True
                return [
                    CalibrationProgress(
                        t_s, "upright", f"Hold still: the sensor feels you {activity.value}.", moving=True
                    )
                ]
            return []
        events: list[EngineEvent] = []
        if self._moving_reported:
            self._moving_reported = False
            events.append(CalibrationProgress(t_s, "upright", "Good, hold still and sit upright."))
        if self._since is None:
            self._since = t_s
        self._sum += gravity
        if t_s - self._since >= UPRIGHT_HOLD_S:
            self.up = self._sum / np.linalg.norm(self._sum)
            self.phase = "lean"
            self._restart_hold()
            events.append(
                CalibrationProgress(
                    t_s, "lean", "Upright captured. Now lean forward slowly, about 20 degrees, and hold."
                )
            )
        return events

    def _lean(self, t_s: float, gravity: np.ndarray, activity: Activity) -> list[EngineEvent]:
        assert self.up is not None
        g = gravity / np.linalg.norm(gravity)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, float(g @ self.up)))))
        if angle < LEAN_MIN_DEG or activity in (Activity.WALKING, Activity.TRANSITION):
            self._restart_hold()
            return []
        if self._since is None:
            self._since = t_s
        self._sum += g
        if t_s - self._since < LEAN_HOLD_S:
            return []
        try:
            frame = BodyFrame.from_lean(self.up, self._sum)
        except CalibrationError as exc:
            self._restart_hold()
            return [CalibrationProgress(t_s, "lean", str(exc))]
        self.phase = "done"
        return [CalibrationCompleted(t_s, frame)]


class PostureEngine:
    """Readings in, posture events out. Sample time only; no I/O."""

    def __init__(
        self,
        settings: EngineSettings = EngineSettings(),
        *,
        rate_hz: float = 50.0,
        gyro_range_dps: float = 2000.0,
        frame: BodyFrame | None = None,
    ) -> None:
        self.settings = settings
        self.rate_hz = rate_hz
        self._gyro_range_dps = gyro_range_dps
        self._ahrs = imufusion.Ahrs()
        self._bias = imufusion.Bias()
        self._tune(rate_hz)
        self._gate = ActivityGate()
        self.detector = SlouchDetector(settings)
        self.frame = frame
        self._calibration: _GuidedCalibration | None = None
        self._needs_recalibration = False
        self._paused = False
        self._slip_ticks = 0
        self._still_ref: tuple[float, float, float] | None = None
        self._last_sample_t = 0.0
        self._pending: list[ImuReading] = []
        #: Samples short of a full tick left by process_arrays (not yet fed to the filter).
        self._pending_arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self._gyro_check: GyroCheck | None = GyroCheck()
        self._gyro_signs: tuple[float, float, float] | None = None
        self.gyro_mismatch: GyroscopeMismatch | None = None
        #: Called with (t_s, flexion, lateral, activity, state) after every tick, if set.
        self.tick_listener = None
        self._first_t: float | None = None
        self.has_gyro = True
        self._judge_from_s = float("-inf")
        self._samples_per_tick = max(1, round(TICK_S * rate_hz))
        self._sums = [0.0, 0.0, 0.0, 0.0, 0]
        self._quaternion = (1.0, 0.0, 0.0, 0.0)
        self._last_tick_t: float | None = None
        self.gravity = np.array([0.0, 0.0, 1.0])
        self._latest: tuple[float, float | None, float | None, Activity] = (0.0, None, None, Activity.STILL)

    def _tune(self, rate_hz: float) -> None:
        ahrs_settings = imufusion.AhrsSettings()
        ahrs_settings.convention = imufusion.CONVENTION_NWU
        ahrs_settings.gain = 0.5
        ahrs_settings.gyroscope_range = self._gyro_range_dps
        ahrs_settings.acceleration_rejection = 10.0
        # Seconds (imufusion >= 1.3.1): after this long rejecting the accelerometer
        # the filter snaps back to it, so a real change is followed within ~5 s.
        ahrs_settings.rejection_timeout = RECOVERY_S
        ahrs_settings.sample_rate = rate_hz
        self._ahrs.set_settings(ahrs_settings)
        bias_settings = imufusion.BiasSettings()
        bias_settings.sample_rate = rate_hz
        bias_settings.stationary_threshold = 3.0
        bias_settings.stationary_period = 3.0
        self._bias.set_settings(bias_settings)

    def set_rate(self, rate_hz: float) -> None:
        """Retune the filter to the sensor's actual rate, keeping its orientation, the
        body frame, a calibration in progress and any slouch under way."""
        if abs(rate_hz - self.rate_hz) < 1e-9:
            return
        self.rate_hz = rate_hz
        self._tune(rate_hz)
        self._samples_per_tick = max(1, round(TICK_S * rate_hz))

    # -- control ------------------------------------------------------------------

    def apply_settings(self, settings: EngineSettings) -> None:
        """New thresholds and delay from the next tick; a slouch in progress keeps its onset."""
        self.settings = settings
        self.detector.settings = settings

    def start_calibration(self) -> None:
        """Begin the guided calibration; progress arrives as events."""
        self._calibration = _GuidedCalibration(self._latest[0])
        self.detector.reset()

    def calibration_status(self) -> tuple[str, float, float] | None:
        """(phase, seconds held so far, seconds needed) while calibrating."""
        calibration = self._calibration
        if calibration is None:
            return None
        since = calibration.hold_started_s
        held = 0.0 if since is None else max(0.0, self._latest[0] - since)
        return calibration.phase, held, UPRIGHT_HOLD_S if calibration.phase == "upright" else LEAN_HOLD_S

    def cancel_calibration(self) -> None:
        self._calibration = None

    def set_frame(self, frame: BodyFrame) -> None:
        self.frame = frame
        self._needs_recalibration = False
        self._slip_ticks = 0
        self.detector.reset()

    def pause(self) -> list[EngineEvent]:
        """Stop detecting (a stretch is under way); closes an episode in progress."""
        self._paused = True
        return self.detector.end_now(self._latest[0])

    def resume(self) -> None:
        self._paused = False

    @property
    def calibrated(self) -> bool:
        return self.frame is not None

    # -- data ---------------------------------------------------------------------

    def process(self, readings: Sequence[ImuReading]) -> list[EngineEvent]:
        """Feed readings in time order; returns the events of the ticks completed.

        Samples are taken a tick at a time, so that the per-sample loop is the bare
        imufusion loop plus four running sums, and gaps are looked for once per tick
        (a silence longer than gap_s makes the tick's span longer than gap_s).
        Samples short of a full tick wait for the next call."""
        events: list[EngineEvent] = []
        if not readings:
            return events
        if self._pending_arrays is not None:
            self._pending = self._pending_readings() + self._pending
        if self._first_t is None:
            self._first_t = readings[0].t_s
            self.has_gyro = readings[0].gyro_dps is not None
            self._last_sample_t = readings[0].t_s
            if not self.has_gyro:
                self._gyro_check = None  # nothing to check
        if self._gyro_signs is not None or not self.has_gyro:
            return self._flush_to_checked(readings, events)
        buf = self._pending + list(readings) if self._pending else readings
        bias_update = self._bias.update
        ahrs_update = self._ahrs.update_no_magnetometer
        per = self._samples_per_tick
        gap_s = self.settings.gap_s
        last = self._last_sample_t
        count = len(buf)
        i = 0
        while count - i >= per:
            sl = buf[i : i + per]
            end = sl[-1]
            if end.t_s - last > gap_s:
                # A silence somewhere in this tick: find it, feed what came before.
                prev = last
                for j, r in enumerate(sl):  # noqa: B007 - j is read after the break
                    if r.t_s - prev > gap_s:
                        break
                    prev = r.t_s
                for r in sl[:j]:
                    ahrs_update(bias_update(r.gyro_dps), r.accel_g)
                self._gap(prev, sl[j].t_s, events)
                i += j
                last = sl[j].t_s
                continue
            sa = sx = sy = sz = 0.0
            for r in sl:
                a = r.accel_g
                ahrs_update(bias_update(r.gyro_dps), a)
                ax, ay, az = a
                sa += ax * ax + ay * ay + az * az
                sx += ax
                sy += ay
                sz += az
            check = self._gyro_check
            if check is not None:
                gx, gy, gz = zip(*[r.gyro_dps for r in sl])
                check.add_rates(sum(gx), sum(gy), sum(gz), per)
            self._tick(end.t_s, sa / per, (sx / per, sy / per, sz / per), events)
            last = end.t_s
            i += per
            if self._gyro_signs is not None or not self.has_gyro:
                # The self-check just corrected or set aside the gyroscope.
                self._pending = []
                self._last_sample_t = last
                return self._flush_to_checked(buf[i:], events)
        self._pending = list(buf[i:])
        self._last_sample_t = last
        return events

    def _flush_to_checked(self, readings: Sequence[ImuReading], events: list[EngineEvent]) -> list[EngineEvent]:
        if self._pending:
            readings = self._pending + list(readings)
            self._pending = []
        return self._process_checked(readings, events)

    def _process_checked(self, readings: Sequence[ImuReading], events: list[EngineEvent]) -> list[EngineEvent]:
        """The same loop, also summing the gyroscope for the self-check, applying sign
        corrections, or feeding a zero rate when there is no usable gyroscope."""
        bias_update = self._bias.update
        ahrs_update = self._ahrs.update_no_magnetometer
        per_tick = self._samples_per_tick
        gap_s = self.settings.gap_s
        last = self._last_sample_t
        sa, sx, sy, sz, n = self._sums
        for r in readings:
            t = r.t_s
            if t - last > gap_s:
                self._sums = [sa, sx, sy, sz, n]
                self._gap(last, t, events)
                sa = sx = sy = sz = 0.0
                n = 0
            last = t
            a = r.accel_g
            g = r.gyro_dps
            if g is None or not self.has_gyro:
                g = _ZERO
            else:
                signs = self._gyro_signs
                if signs is not None:
                    g = (g[0] * signs[0], g[1] * signs[1], g[2] * signs[2])
                check = self._gyro_check
                if check is not None:
                    check.add_rate(g)
                g = bias_update(g)
            ahrs_update(g, a)
            ax, ay, az = a
            sa += ax * ax + ay * ay + az * az
            sx += ax
            sy += ay
            sz += az
            n += 1
            if n == per_tick:
                self._tick(t, sa / n, (sx / n, sy / n, sz / n), events)
                sa = sx = sy = sz = 0.0
                n = 0
        self._last_sample_t = last
        self._sums = [sa, sx, sy, sz, n]
        return events

    # -- data as arrays -------------------------------------------------------------

    def process_arrays(
        self, t_s: np.ndarray, accel_g: np.ndarray, gyro_dps: np.ndarray | None = None
    ) -> list[EngineEvent]:
        """Feed a chunk of samples as arrays: times in seconds (n,), acceleration in g
        (n, 3), angular rate in deg/s (n, 3) or None without a gyroscope.

        The same ticks and events as :meth:`process` given the same samples as
        readings, in any chunking, without an object per sample: the per-sample loop
        is the bare filter loop, the tick sums come from numpy, and the decisions of
        the ticks where nothing can change are taken for the whole run at once."""
        t = np.asarray(t_s, dtype=float).reshape(-1)
        accel = np.asarray(accel_g, dtype=float)
        gyro = None if gyro_dps is None else np.asarray(gyro_dps, dtype=float)
        if accel.shape != (len(t), 3) or (gyro is not None and gyro.shape != (len(t), 3)):
            raise ValueError(
                f"expected times (n,), acceleration (n, 3) and angular rate (n, 3) or None; got {t.shape}, "
                f"{accel.shape}, {None if gyro is None else gyro.shape}"
            )
        events: list[EngineEvent] = []
        if not len(t):
            return events
        if self._first_t is None:
            self._first_t = float(t[0])
            self.has_gyro = gyro is not None
            self._last_sample_t = float(t[0])
            if not self.has_gyro:
                self._gyro_check = None  # nothing to check
        if self._pending:
            self._pending_arrays = self._join(self._pending_arrays, _arrays(self._pending))
            self._pending = []
        if self._pending_arrays is not None:
            t, accel, gyro = self._join(self._pending_arrays, (t, accel, gyro))
            self._pending_arrays = None
        steps = np.diff(t, prepend=self._last_sample_t)
        stops = [*np.flatnonzero(steps > self.settings.gap_s).tolist(), len(t)]
        start = 0
        for stop in stops:
            while start < stop:  # a gyroscope verdict restarts the run with the corrected rates
                start = self._run(t, accel, gyro, start, stop, events)
            if stop < len(t):
                self._gap(float(t[stop - 1]) if stop else self._last_sample_t, float(t[stop]), events)
                self._last_sample_t = float(t[stop])
        return events

    @staticmethod
    def _join(
        first: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None,
        second: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if first is None:
            return second
        # A chunk without angular rates after one with them: no rates for either.
        gyro = None if first[2] is None or second[2] is None else np.concatenate((first[2], second[2]))
        return np.concatenate((first[0], second[0])), np.concatenate((first[1], second[1])), gyro

    def _pending_readings(self) -> list[ImuReading]:
        """Samples left short of a tick by process_arrays, as readings for process()."""
        assert self._pending_arrays is not None
        t, accel, gyro = self._pending_arrays
        self._pending_arrays = None
        rates = gyro.tolist() if gyro is not None else [None] * len(t)
        return [
            ImuReading(ti, (a[0], a[1], a[2]), None if g is None else (g[0], g[1], g[2]), -1)
            for ti, a, g in zip(t.tolist(), accel.tolist(), rates)
        ]

    def _run(
        self,
        t: np.ndarray,
        accel: np.ndarray,
        gyro: np.ndarray | None,
        start: int,
        stop: int,
        events: list[EngineEvent],
    ) -> int:
        """Samples start..stop (no gap inside) through the filter and the ticks they
        complete. Returns where it stopped: ``stop``, or the sample after a tick whose
        gyroscope verdict changes what the filter is fed."""
        per = self._samples_per_tick
        carried = self._sums[4]  # a tick begun by process() on its checked path, already fed
        ends = np.arange(per - carried, stop - start + 1, per)
        a = accel[start:stop]
        signs = self._gyro_signs
        use_gyro = gyro is not None and self.has_gyro
        if not use_gyro:
            rates = None
        elif signs is not None:
            rates = gyro[start:stop] * np.array(signs)
        else:
            rates = gyro[start:stop]
        if len(ends):
            cut = a[: ends[-1]]
            starts = np.concatenate(([0], ends[:-1]))
            means = np.add.reduceat(cut, starts, axis=0)
            square_means = np.add.reduceat(np.einsum("ij,ij->i", cut, cut), starts)
            if carried:
                means[0] += self._sums[1:4]
                square_means[0] += self._sums[0]
                self._sums = [0.0, 0.0, 0.0, 0.0, 0]
            means /= per
            square_means /= per
        times = t[start:stop]
        # Rows of float32 arrays: what the filter computes in, so it takes them as they
        # are (the same values it would round Python floats to, without the conversion).
        accel32 = a.astype(np.float32)
        rows = zip(rates.astype(np.float32), accel32) if rates is not None else None
        update, bias_update = self._ahrs.update_no_magnetometer, self._bias.update
        get_q, get_g, get_states = self._ahrs.get_quaternion, self._ahrs.get_gravity, self._ahrs.get_internal_states
        tick_ends = ends.tolist()
        pos = 0
        first_noted = len(tick_ends)
        for i, end in enumerate(tick_ends):
            if self._calibration is None and self._gyro_check is None:
                first_noted = i
                break
            if rows is None:
                for x in accel32[pos:end]:
                    update(_ZERO32, x)
            else:
                for g, x in islice(rows, end - pos):
                    update(bias_update(g), x)
            pos = end
            # A calibration or the gyroscope self-check is under way: decide this tick now.
            check = self._gyro_check
            if check is not None and use_gyro:
                assert gyro is not None
                x0, y0, z0 = gyro[start + pos - per : start + pos].sum(axis=0).tolist()
                check.add_rates(x0, y0, z0, per)
            mx, my, mz = means[i].tolist()
            self._tick(float(times[end - 1]), float(square_means[i]), (mx, my, mz), events)
            if self._gyro_signs is not signs or (use_gyro and not self.has_gyro):
                self._last_sample_t = float(times[end - 1])
                return start + end
        if first_noted < len(tick_ends):
            # Nothing decides between ticks from here on: note the filter's output at
            # each tick's end and decide the ticks together.
            quaternions: list[np.ndarray] = []
            gravities: list[np.ndarray] = []
            errors: list[float] = []
            note_q, note_g, note_e = quaternions.append, gravities.append, errors.append
            for end in tick_ends[first_noted:]:
                if rows is None:
                    for x in accel32[pos:end]:
                        update(_ZERO32, x)
                else:
                    for g, x in islice(rows, end - pos):
                        update(bias_update(g), x)
                pos = end
                note_q(get_q())
                note_g(get_g())
                note_e(get_states().acceleration_error)
            self._decide(
                times[ends[first_noted:] - 1],
                square_means[first_noted:],
                means[first_noted:],
                np.array(quaternions, dtype=float),
                np.array(gravities, dtype=float),
                np.array(errors, dtype=float),
                events,
            )
        if pos:
            self._last_sample_t = float(times[pos - 1])
        if stop == len(t):
            if pos < len(times):
                self._pending_arrays = (times[pos:], a[pos:], None if gyro is None else gyro[start + pos : stop])
        else:
            # The tick a gap cuts short: its samples reach the filter, but make no tick.
            if rows is None:
                for x in accel32[pos:]:
                    update(_ZERO32, x)
            else:
                for g, x in rows:
                    update(bias_update(g), x)
        return stop

    def _decide(
        self,
        times: np.ndarray,
        square_means: np.ndarray,
        means: np.ndarray,
        quaternions: np.ndarray,
        gravities: np.ndarray,
        errors: np.ndarray,
        events: list[EngineEvent],
    ) -> None:
        """What :meth:`_tick` does, for consecutive ticks with no calibration and no
        gyroscope self-check under way."""
        assert self._first_t is not None
        listener = self.tick_listener
        warming = int(np.searchsorted(times - self._first_t >= STARTUP_S, True))
        if warming:
            # The filter's start-up (see _tick): the orientation is only remembered.
            self._quaternion = tuple(quaternions[warming - 1].tolist())
            self._last_tick_t = float(times[warming - 1])
            for t_s in times[:warming].tolist():
                self._publish(t_s, None, None, Activity.STILL)
            if warming == len(times):
                return
            times, square_means, means = times[warming:], square_means[warming:], means[warming:]
            quaternions, gravities, errors = quaternions[warming:], gravities[warming:], errors[warming:]
        previous = np.vstack((np.array([self._quaternion]), quaternions[:-1]))
        before = np.concatenate(([np.nan if self._last_tick_t is None else self._last_tick_t], times[:-1]))
        turns = turn_rates_dps(quaternions, previous, times, before, TICK_S)
        spread = spreads(square_means, means)
        codes = self._gate.update_many(turns, spread)
        still = codes == STILL_CODE
        gravity = np.where(still[:, None], means, gravities)
        self.gravity = gravity[-1].copy()
        self._quaternion = tuple(quaternions[-1].tolist())
        self._last_tick_t = float(times[-1])
        ts = times.tolist()
        activities = [ACTIVITIES[c] for c in codes.tolist()]
        frame = self.frame
        if frame is None:
            if listener is not None:
                for t_s, activity in zip(ts, activities):
                    self._gate.activity = activity
                    self._publish(t_s, None, None, activity)
                self._gate.activity = activities[-1]
            self._latest = (ts[-1], None, None, activities[-1])
            return
        flexion, lateral = frame.angles_deg_many(gravity)
        s = self.settings
        calm = still & (flexion <= s.threshold_deg) & (np.abs(lateral) < s.lateral_threshold_deg)
        restless = np.flatnonzero(~calm)  # ticks the detector must see even when idle
        # Ticks that only add to a slouch under way: not moving, above the threshold, no side lean.
        steady = (codes <= FIDGETING_CODE) & (flexion > s.threshold_deg) & (np.abs(lateral) < s.lateral_threshold_deg)
        unsteady = np.flatnonzero(~steady)
        suspect = np.flatnonzero(still & (errors > SLIP_ERROR_DEG))  # ticks the slip check must see
        still_rows = np.flatnonzero(still)
        judge_row = int(np.searchsorted(times, self._judge_from_s, side="left"))
        unit = directions(means)
        fl, la = flexion.tolist(), lateral.tolist()
        is_still, is_suspect = still.tolist(), (still & (errors > SLIP_ERROR_DEG)).tolist()
        detector = self.detector
        count = len(ts)
        ref_row: int | None = None  # the latest still tick the slip check takes as its reference

        def skip(i: int, stop: int, slip_on: bool) -> int:
            """Ticks i..stop-1 where the slip check sees gravity agree with the filter
            and the detector has nothing to decide: publish them, move the reference."""
            nonlocal ref_row
            if slip_on:
                self._slip_ticks = 0
                last_still = _last_before(still_rows, i, stop)
                if last_still is not None:
                    ref_row = last_still
            if listener is not None:
                gate = self._gate
                for j in range(i, stop):
                    gate.activity = activities[j]
                    self._publish(ts[j], fl[j], la[j], activities[j])
            return stop

        i = 0
        while i < count:
            slip_on = self.has_gyro and not self._needs_recalibration and self._calibration is None
            judging = not (self._needs_recalibration or self._paused) and i >= judge_row
            if not judging or detector.idle:
                stop = count
                if slip_on:
                    stop = _next(suspect, i, stop)
                if judging:
                    stop = _next(restless, i, stop)
                elif not (self._needs_recalibration or self._paused) and i < judge_row:
                    stop = min(stop, judge_row)
                if stop > i:
                    # Ticks where nothing can change: only the slip check's reference moves.
                    i = skip(i, stop, slip_on)
                    continue
            limit = detector.steady_limit(ts[i]) if judging else None
            if limit is not None:
                stop = _next(unsteady, i, count)
                if slip_on:
                    stop = _next(suspect, i, stop)
                onset, held = limit
                due = np.flatnonzero(times[i:stop] - onset >= held)
                if len(due):
                    stop = i + int(due[0])
                if stop > i:
                    # A slouch held still: the episode's statistics grow, nothing else moves.
                    detector.hold_steady(fl[i:stop])
                    i = skip(i, stop, slip_on)
                    continue
            t_s, activity = ts[i], activities[i]
            if slip_on:
                if is_suspect[i]:
                    if ref_row is not None:
                        self._still_ref = tuple(unit[ref_row].tolist())
                        ref_row = None
                    mx, my, mz = means[i].tolist()
                    events += self._check_slip(t_s, activity, (mx, my, mz), float(errors[i]))
                else:  # what _check_slip does when gravity agrees with the filter
                    self._slip_ticks = 0
                    if is_still[i]:
                        ref_row = i
            if not (self._needs_recalibration or self._paused) and t_s >= self._judge_from_s:
                events += detector.update(t_s, fl[i], la[i], activity)
            if listener is not None:
                self._gate.activity = activity
                self._publish(t_s, fl[i], la[i], activity)
            i += 1
        if ref_row is not None:
            self._still_ref = tuple(unit[ref_row].tolist())
        self._gate.activity = activities[-1]
        self._latest = (ts[-1], fl[-1], la[-1], activities[-1])

    def _gap(self, last_s: float, next_s: float, events: list[EngineEvent]) -> None:
        """Silence in sample time: end any episode at the last sample, count the gap as
        not worn, and start the filter and the hold timers afresh."""
        events += self.detector.end_now(last_s)
        events.append(DataGap(next_s, last_s, next_s))
        self._sums = [0.0, 0.0, 0.0, 0.0, 0]
        self._ahrs.restart()
        self._first_t = next_s
        self._last_tick_t = None
        self._still_ref = None
        self._slip_ticks = 0
        if self._gyro_check is not None:
            self._gyro_check.reset_tick()

    def _tick(
        self,
        t_s: float,
        accel_square_mean: float,
        accel_mean: tuple[float, float, float],
        events: list[EngineEvent],
    ) -> None:
        assert self._first_t is not None
        if t_s - self._first_t < STARTUP_S:
            # The filter is still converging from its initial guess: its turns are not the wearer's.
            self._quaternion = tuple(self._ahrs.get_quaternion().tolist())
            self._last_tick_t = t_s
            self._publish(t_s, None, None, Activity.STILL)
            return
        # How fast the trunk turned since the last tick, from the filter's orientation
        # (bias-corrected): cheaper than summing the gyroscope per sample.
        w, x, y, z = quaternion = self._ahrs.get_quaternion().tolist()
        pw, px, py, pz = self._quaternion
        dot = min(1.0, abs(w * pw + x * px + y * py + z * pz))
        self._quaternion = quaternion
        elapsed = TICK_S if self._last_tick_t is None else max(1e-3, t_s - self._last_tick_t)
        self._last_tick_t = t_s
        turn_rate = math.degrees(2.0 * math.acos(dot)) / elapsed
        mx, my, mz = accel_mean
        # Spread of the acceleration vector within the tick: the gait's bounce.
        spread = math.sqrt(max(0.0, accel_square_mean - (mx * mx + my * my + mz * mz)))
        activity = self._gate.update(turn_rate, spread)
        check = self._gyro_check
        if check is not None:
            verdict = check.tick(t_s, accel_mean, spread, activity is Activity.WALKING)
            if verdict is not None:
                self._gyro_check = None
                self._apply_gyro_verdict(t_s, verdict, events)
        # Still: the mean acceleration is gravity, and unlike the filter it does not
        # lag a slow slump (the bias estimator absorbs very slow turns). Moving: the
        # filter, which rides through the accelerations of the movement.
        gravity = accel_mean if activity is Activity.STILL else self._ahrs.get_gravity()
        self.gravity = gravity
        if self._calibration is not None:
            # At rest the mean acceleration is gravity itself, free of the gyroscope
            # bias the filter may not have learned yet.
            new = self._calibration.tick(t_s, np.array(accel_mean), activity)
            events += new
            for event in new:
                if isinstance(event, CalibrationCompleted):
                    self._calibration = None
                    self.set_frame(event.frame)
                    # The wearer is still leaning forward from the guided lean.
                    self._judge_from_s = t_s + CALIBRATION_GRACE_S
        flexion = lateral = None
        if self.frame is not None:
            flexion, lateral = self.frame.angles_deg(gravity)
            # Without a gyroscope every tilt looks like a jump without a turn.
            # A slip is judged against the gyroscope: not while the self-check doubts it.
            if (
                self.has_gyro
                and (self._gyro_check is None or self._gyro_check.trusted_so_far())
                and not self._needs_recalibration
                and self._calibration is None
            ):
                error = self._ahrs.get_internal_states().acceleration_error
                events += self._check_slip(t_s, activity, accel_mean, error)
            judging = not (self._needs_recalibration or self._paused or self._calibration is not None)
            if judging and t_s >= self._judge_from_s:
                events += self.detector.update(t_s, flexion, lateral, activity)
        self._publish(t_s, flexion, lateral, activity)

    def _check_slip(
        self, t_s: float, activity: Activity, accel_mean: tuple[float, float, float], error: float
    ) -> list[EngineEvent]:
        """Gravity jumped while the wearer sat still and the gyroscope saw no turn:
        the sensor moved on the back. Ask for recalibration instead of alerting.

        The filter disagreeing with the accelerometer is not enough on its own: a
        single corrupt gyroscope sample (seen in real recordings: 1500 deg/s for one
        sample) turns the filter while the accelerometer stays put. A slip needs the
        accelerometer itself to have moved away from where it last agreed with the
        filter at rest."""
        if activity is not Activity.STILL:
            self._slip_ticks = 0
            return []
        ax, ay, az = accel_mean
        norm = math.sqrt(ax * ax + ay * ay + az * az) or 1e-9
        direction = (ax / norm, ay / norm, az / norm)
        if error <= SLIP_ERROR_DEG:
            self._slip_ticks = 0
            self._still_ref = direction
            return []
        ref = self._still_ref
        moved = ref is not None and (direction[0] * ref[0] + direction[1] * ref[1] + direction[2] * ref[2] < _SLIP_COS)
        self._slip_ticks = self._slip_ticks + 1 if moved else 0
        if self._slip_ticks < SLIP_TICKS:
            return []
        self._needs_recalibration = True
        self._still_ref = None
        events: list[EngineEvent] = self.detector.end_now(t_s)
        events.append(
            RecalibrationNeeded(
                t_s, f"the sensor seems to have moved on your back ({error:.0f} deg without a matching turn)"
            )
        )
        return events

    # -- snapshot -----------------------------------------------------------------

    def _state(self, activity: Activity | None = None) -> EngineState:
        if self._calibration is not None:
            return EngineState.CALIBRATING
        if self.frame is None:
            return EngineState.UNCALIBRATED
        if self._needs_recalibration:
            return EngineState.RECALIBRATE
        if self._paused:
            return EngineState.PAUSED
        if self.detector.alerted:
            return EngineState.ALERTED
        if self.detector.onset_s is not None:
            return EngineState.SLOUCHING
        if (activity or self._gate.activity) in (Activity.WALKING, Activity.TRANSITION):
            return EngineState.MOVING
        return EngineState.UPRIGHT

    def _publish(self, t_s: float, flexion: float | None, lateral: float | None, activity: Activity) -> None:
        self._latest = (t_s, flexion, lateral, activity)
        if self.tick_listener is not None:
            self.tick_listener(t_s, flexion, lateral, activity, self._state())

    def _apply_gyro_verdict(self, t_s: float, verdict: GyroscopeMismatch, events: list[EngineEvent]) -> None:
        if verdict.action == "ok":
            return
        self.gyro_mismatch = verdict
        events.append(verdict)
        if verdict.action == "corrected":
            self._gyro_signs = verdict.signs
        else:
            self.has_gyro = False  # accelerometer only from here on: no gyro, no slip check
        # The filter followed the faulty gyroscope so far: start it again.
        self._ahrs.restart()
        self._first_t = t_s

    @property
    def snapshot(self) -> PostureSnapshot:
        """The latest tick's view; built on demand (the UI reads it ~10 times a second)."""
        t_s, flexion, lateral, activity = self._latest
        return PostureSnapshot(
            t_s,
            flexion,
            lateral,
            activity,
            self._state(),
            self.detector.held_s(t_s),
            self.settings.delay_s,
        )
