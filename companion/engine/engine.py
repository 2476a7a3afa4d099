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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import imufusion
import numpy as np

from ..readings import ImuReading
from . import arrays
from .activity import Activity, ActivityGate
from .calibration import BodyFrame
from .events import (
    CalibrationCompleted,
    DataGap,
    EngineEvent,
    GyroscopeMismatch,
    RecalibrationNeeded,
)
from .guided import LEAN_HOLD_S, LEAN_MIN_DEG, UPRIGHT_HOLD_S, GuidedCalibration
from .gyrocheck import GyroCheck
from .settings import EngineSettings
from .slouch import SlouchDetector
from .ticks import SLIP_ERROR_DEG, STARTUP_S, TICK_S

__all__ = [
    "CALIBRATION_GRACE_S",
    "LEAN_HOLD_S",
    "LEAN_MIN_DEG",
    "SLIP_ERROR_DEG",
    "SLIP_TICKS",
    "STARTUP_S",
    "TICK_S",
    "UPRIGHT_HOLD_S",
    "EngineState",
    "PostureEngine",
    "PostureSnapshot",
]

SLIP_TICKS = 4
CALIBRATION_GRACE_S = 5.0  # time to sit back up after the guided lean
RECOVERY_S = 5.0  # the filter's rejection timeout
_SLIP_COS = math.cos(math.radians(SLIP_ERROR_DEG))
_ZERO = (0.0, 0.0, 0.0)


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


def _first_silence(readings: list[ImuReading], last_t_s: float, gap_s: float) -> int | None:
    """The index of the first reading more than ``gap_s`` after the one before it
    (``last_t_s`` before the first), or None."""
    prev = last_t_s
    for j, r in enumerate(readings):
        if r.t_s - prev > gap_s:
            return j
        prev = r.t_s
    return None


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
        self._calibration: GuidedCalibration | None = None
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
        self.tick_listener: Callable[[float, float | None, float | None, Activity, EngineState], None] | None = None
        self._first_t: float | None = None
        self.has_gyro = True
        self._judge_from_s: float = float("-inf")
        self._samples_per_tick = max(1, round(TICK_S * rate_hz))
        self._sums: list[float] = [0.0, 0.0, 0.0, 0.0, 0]
        self._quaternion = (1.0, 0.0, 0.0, 0.0)
        self._last_tick_t: float | None = None
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

    def start_calibration(self) -> list[EngineEvent]:
        """Begin the guided calibration; progress arrives as events. Detection rests
        until the new frame: an episode in progress ends now (its events returned)."""
        events = self.detector.end_now(self._latest[0])
        self._calibration = GuidedCalibration(self._latest[0])
        return events

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
            self._pending = arrays.pending_readings(self) + self._pending
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
            # A tick longer than a gap may hold one silence longer than gap_s (feed
            # what came before it, then the gap), or only several shorter ones: an
            # ordinary tick, as the array path sees it.
            j = _first_silence(sl, last, gap_s) if end.t_s - last > gap_s else None
            if j is not None:
                for r in sl[:j]:
                    ahrs_update(bias_update(r.gyro_dps), r.accel_g)
                self._gap(sl[j - 1].t_s if j else last, sl[j].t_s, events)
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

    def process_arrays(
        self, t_s: np.ndarray, accel_g: np.ndarray, gyro_dps: np.ndarray | None = None
    ) -> list[EngineEvent]:
        """Feed a chunk of samples as arrays: times in seconds (n,), acceleration in g
        (n, 3), angular rate in deg/s (n, 3) or None without a gyroscope.

        The same ticks and events as :meth:`process` given the same samples as
        readings, in any chunking, without an object per sample (engine/arrays.py)."""
        return arrays.process_arrays(self, t_s, accel_g, gyro_dps)

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
