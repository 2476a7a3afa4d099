"""The stretches from the source guidance, guided step by step and measured by the sensor.

Pure and on sample time: a :class:`GuidedStretch` is fed readings (and the engine's
flexion) and says which step is current, what it has measured, and at the end
whether the sensor saw the stretch done.

- Rotation range: the angular rate about the trunk's long axis (the calibrated up
  direction) integrated over each turn (at most 15 s), with the gyroscope bias
  zeroed from the still moment just before the turn (SCIENCE.md).
- Extension: how far the upper back tilts backward from the calibrated upright
  during a hold (the negative of forward flexion).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..readings import ImuReading

PULLING_RULE = "Go to a pulling feeling, never to pain."
NOT_MEDICAL = "Not a medical device: if your back hurts, start with a professional's guidance."
NOISE_DEG = 6.0  # left/right differences under this are within measurement noise (Johnson et al. 2012)
# Left/right rotation differences that ordinary people show. In 36 real upper-back
# rotation trials (12 people, python -m benchmarks stretch) the difference of one
# check had a median of 10.5 deg and a 90th percentile of 27 deg, so a single check
# says little. Only a consistent side over several days with a median difference of
# at least this much is worth mentioning: about one ordinary check in ten goes
# beyond it, and none of the 12 people did over their three trials.
BALANCE_TYPICAL_DEG = 25.0
BALANCE_MIN_DAYS = 3  # days with a check before a trend is judged
SEE_A_PROFESSIONAL = "This is an observation, not a diagnosis: if you have pain, see a physiotherapist or doctor."
MIN_ROTATION_DEG = 15.0  # a turn the sensor must see, each side, to credit a rotation stretch
MIN_EXTENSION_DEG = 3.0  # backward tilt the sensor must see to credit a squeeze
MAX_TURN_S = 15.0


class StretchKind(enum.Enum):
    TRUNK_ROTATION = "trunk_rotation"
    SHOULDER_SQUEEZE = "shoulder_squeeze"
    OVERHEAD_SQUEEZE = "overhead_squeeze"
    BALANCE_CHECK = "balance_check"


@dataclass(frozen=True, slots=True)
class Step:
    text: str
    seconds: float
    measure: str = ""  # "", "left", "right", "extension", "rest", "baseline"


@dataclass(frozen=True, slots=True)
class StretchPlan:
    kind: StretchKind
    title: str
    summary: str
    steps: tuple[Step, ...]
    tender_variant: str = ""

    @property
    def duration_s(self) -> float:
        return sum(step.seconds for step in self.steps)


def _rotation_steps(repeats: int, seated: bool) -> tuple[Step, ...]:
    stance = "Sit tall, feet flat" if seated else "Stand, feet shoulder-width apart"
    steps = [Step(f"{stance}, arms out to the sides. Hold still.", 4.0, "baseline")]
    for _ in range(repeats):
        steps += [
            Step("Turn to the LEFT as far as comfortable, and hold.", 6.0, "left"),
            Step("Back to the middle. Hold still.", 3.0, "baseline"),
            Step("Turn to the RIGHT as far as comfortable, and hold.", 6.0, "right"),
            Step("Back to the middle. Hold still.", 3.0, "baseline"),
        ]
    return tuple(steps)


def _squeeze_steps(overhead: bool, hold_s: float, repeats: int) -> tuple[Step, ...]:
    arms = "arms stretched above your head" if overhead else "arms out to the side, opening the rib cage"
    steps = [Step("Sit or stand tall. Hold still.", 3.0, "baseline")]
    for _ in range(repeats):
        steps += [
            Step(f"Pull your shoulder blades back and together, {arms}, chest forward. Hold.", hold_s, "extension"),
            Step("Relax.", 3.0),
        ]
    return tuple(steps)


CATALOGUE: dict[StretchKind, StretchPlan] = {
    StretchKind.TRUNK_ROTATION: StretchPlan(
        StretchKind.TRUNK_ROTATION,
        "Standing trunk rotation",
        f"Turn as far as comfortable one way, then the other, twice. {PULLING_RULE}",
        _rotation_steps(2, seated=False),
        "If your upper back is tender, keep your arms by your sides instead.",
    ),
    StretchKind.SHOULDER_SQUEEZE: StretchPlan(
        StretchKind.SHOULDER_SQUEEZE,
        "Shoulder-blade squeeze",
        f"Shoulder blades back and together, arms open, chest forward; hold 5 s, three times. {PULLING_RULE}",
        _squeeze_steps(False, 5.0, 3),
        "If your upper back is tender, keep your arms by your sides and squeeze gently.",
    ),
    StretchKind.OVERHEAD_SQUEEZE: StretchPlan(
        StretchKind.OVERHEAD_SQUEEZE,
        "Overhead squeeze",
        f"The same squeeze with your arms stretched above your head, for a deeper stretch. {PULLING_RULE}",
        _squeeze_steps(True, 5.0, 3),
        "If your upper back is tender, do the shoulder-blade squeeze instead.",
    ),
}

BALANCE_PLAN = StretchPlan(
    StretchKind.BALANCE_CHECK,
    "Balance check",
    "A seated turn each way, then sitting still: left/right rotation range and resting side lean.",
    (*_rotation_steps(1, seated=True), Step("Sit relaxed, the way you usually sit. Hold still.", 6.0, "rest")),
)


#: Every plan by its name (the kind's value): the stretch picker, the palette and the
#: control socket's ``stretch`` command all take these names.
PLANS_BY_NAME: dict[str, StretchPlan] = {plan.kind.value: plan for plan in (*CATALOGUE.values(), BALANCE_PLAN)}


def plan_named(name: str) -> StretchPlan:
    """The plan called ``name``; a ValueError naming the known ones otherwise."""
    plan = PLANS_BY_NAME.get(name)
    if plan is None:
        raise ValueError(f"unknown stretch {name!r}; known: {', '.join(sorted(PLANS_BY_NAME))}")
    return plan


@dataclass
class StretchResult:
    kind: StretchKind
    duration_s: float
    left_deg: float | None = None
    right_deg: float | None = None
    extension_deg: float | None = None
    lateral_rest_deg: float | None = None
    seen_by_sensor: bool = False

    @property
    def difference_deg(self) -> float | None:
        if self.left_deg is None or self.right_deg is None:
            return None
        return self.left_deg - self.right_deg

    def rest_lean_text(self) -> str:
        """The resting side lean in words; under a degree reads as none."""
        lean = self.lateral_rest_deg
        if lean is None:
            return ""
        if round(abs(lean)) < 1:
            return "No side lean at rest (under 1°)."
        return f"At rest you lean {abs(lean):.0f}° to the {'right' if lean > 0 else 'left'}."

    def balance_text(self) -> str:
        """What one check shows, worded as an observation; one check is never a finding."""
        diff = self.difference_deg
        if diff is None:
            return ""
        both = f"Left {self.left_deg:.0f}°, right {self.right_deg:.0f}°"
        if abs(diff) < NOISE_DEG:
            return f"{both}: a difference of {abs(diff):.0f}°, within measurement noise (under {NOISE_DEG:.0f}°)."
        side = "left" if diff > 0 else "right"
        if abs(diff) < BALANCE_TYPICAL_DEG:
            return (
                f"{both}: you turned {abs(diff):.0f}° further to the {side} this time, "
                f"within what most people show (up to about {BALANCE_TYPICAL_DEG:.0f}°)."
            )
        return (
            f"{both}: you turned {abs(diff):.0f}° further to the {side} this time, more than most people show. "
            "One check proves little: repeat it on other days to see a trend."
        )


@dataclass
class GuidedStretch:
    """Runs one plan on sample time. ``up`` is the calibrated up direction (sensor axes)."""

    plan: StretchPlan
    up: tuple[float, float, float]
    started_s: float | None = None
    _angle_deg: float = 0.0
    _bias_dps: float = 0.0
    _still_rates: list[float] = field(default_factory=list)
    _turn_started_s: float | None = None
    _last_t: float | None = None
    _peaks: dict[str, float] = field(default_factory=dict)
    _rest_lateral: list[float] = field(default_factory=list)
    _measure: str = ""
    _gyro_seen: bool = False

    def step_at(self, t_s: float) -> tuple[int, Step, float] | None:
        """(index, step, seconds left in it), or None once the plan is over."""
        if self.started_s is None:
            return 0, self.plan.steps[0], self.plan.steps[0].seconds
        elapsed = t_s - self.started_s
        for index, step in enumerate(self.plan.steps):
            if elapsed < step.seconds:
                return index, step, step.seconds - elapsed
            elapsed -= step.seconds
        return None

    def finished(self, t_s: float) -> bool:
        return self.started_s is not None and self.step_at(t_s) is None

    @property
    def left_deg(self) -> float | None:
        return self._peaks.get("left")

    @property
    def right_deg(self) -> float | None:
        return self._peaks.get("right")

    @property
    def extension_deg(self) -> float | None:
        return self._peaks.get("extension")

    def feed(self, readings: list[ImuReading], flexion_deg: float | None, lateral_deg: float | None) -> None:
        ux, uy, uz = self.up
        for r in readings:
            if self.started_s is None:
                self.started_s = r.t_s
            current = self.step_at(r.t_s)
            measure = "" if current is None else current[1].measure
            if measure != self._measure:
                self._begin(measure, r.t_s)
            dt = 0.0 if self._last_t is None else min(0.2, r.t_s - self._last_t)
            self._last_t = r.t_s
            if r.gyro_dps is None:
                continue
            self._gyro_seen = True
            gx, gy, gz = r.gyro_dps
            rate = gx * ux + gy * uy + gz * uz  # positive: turning left (right-hand rule about up)
            if measure == "baseline":
                self._still_rates.append(rate)
            elif (
                measure in ("left", "right")
                and self._turn_started_s is not None
                and r.t_s - self._turn_started_s <= MAX_TURN_S
            ):
                self._angle_deg += (rate - self._bias_dps) * dt
                value = self._angle_deg if measure == "left" else -self._angle_deg
                self._peaks[measure] = max(self._peaks.get(measure, 0.0), value)
        if flexion_deg is not None and self._measure == "extension":
            self._peaks["extension"] = max(self._peaks.get("extension", 0.0), -flexion_deg)
        if lateral_deg is not None and self._measure == "rest":
            self._rest_lateral.append(lateral_deg)

    def _begin(self, measure: str, t_s: float) -> None:
        if measure in ("left", "right"):
            # Zero the bias from the still moment just before this turn.
            recent = self._still_rates[-50:]
            self._bias_dps = sum(recent) / len(recent) if recent else 0.0
            self._angle_deg = 0.0
            self._turn_started_s = t_s
        if measure == "baseline":
            self._still_rates = []
        self._measure = measure

    def result(self, t_s: float) -> StretchResult:
        duration = 0.0 if self.started_s is None else t_s - self.started_s
        result = StretchResult(self.plan.kind, duration)
        kinds = {step.measure for step in self.plan.steps}
        if "left" in kinds and self._gyro_seen:
            result.left_deg = round(self._peaks.get("left", 0.0), 1)
            result.right_deg = round(self._peaks.get("right", 0.0), 1)
            result.seen_by_sensor = min(result.left_deg, result.right_deg) >= MIN_ROTATION_DEG
        if "extension" in kinds:
            result.extension_deg = round(self._peaks.get("extension", 0.0), 1)
            result.seen_by_sensor = result.extension_deg >= MIN_EXTENSION_DEG
        if self._rest_lateral:
            result.lateral_rest_deg = round(sum(self._rest_lateral) / len(self._rest_lateral), 1)
        return result


@dataclass(frozen=True, slots=True)
class BalanceTrend:
    """Left/right rotation over several days of checks."""

    days: int
    median_difference_deg: float | None  # left minus right; positive: further to the left
    consistent_side: str  # "left", "right" or "" when the side changes between days
    notable: bool  # consistent side and a median difference beyond what most people show

    def text(self) -> str:
        if self.days < BALANCE_MIN_DAYS or self.median_difference_deg is None:
            return f"{self.days} of {BALANCE_MIN_DAYS} days with a balance check: a trend needs checks on {BALANCE_MIN_DAYS} different days."
        size = abs(self.median_difference_deg)
        if self.notable:
            return (
                f"Over {self.days} days you turned further to the {self.consistent_side} every time "
                f"(median {size:.0f}°), more than most people show. {SEE_A_PROFESSIONAL}"
            )
        if self.consistent_side and size >= NOISE_DEG:
            return (
                f"Over {self.days} days you turned a little further to the {self.consistent_side} "
                f"(median {size:.0f}°), within what most people show."
            )
        return f"Over {self.days} days no consistent left/right difference (median {size:.0f}°)."


def balance_trend(checks: list[tuple[object, float, float]]) -> BalanceTrend:
    """Judge ``(day, left_deg, right_deg)`` checks; several on one day count as that
    day's mean, so a trend spans days rather than repeats in one sitting."""
    per_day: dict[object, list[float]] = {}
    for day, left, right in checks:
        per_day.setdefault(day, []).append(left - right)
    diffs = [sum(values) / len(values) for values in per_day.values()]
    if len(diffs) < BALANCE_MIN_DAYS:
        return BalanceTrend(len(diffs), None, "", False)
    ordered = sorted(diffs)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    side = "left" if all(d > 0 for d in diffs) else "right" if all(d < 0 for d in diffs) else ""
    notable = bool(side) and abs(median) >= BALANCE_TYPICAL_DEG
    return BalanceTrend(len(diffs), round(median, 1), side, notable)
