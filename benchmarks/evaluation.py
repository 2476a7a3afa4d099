"""Scoring the engine against a simulated wearer's ground truth.

Used by the engine benchmark and the tests: a scripted day goes straight from the
wearer model into the engine (no radio), and the detected episodes and alerts are
matched against the script's slouch episodes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from companion.coach.stretches import GuidedStretch, StretchPlan, StretchResult
from companion.engine import (
    BodyFrame,
    EngineSettings,
    PostureEngine,
    SlouchAlerted,
    SlouchEnded,
    SlouchStarted,
)
from companion.engine.activity import Activity
from companion.engine.events import EngineEvent
from companion.engine.replay import SampleArrays, replay
from companion.readings import ImuReading
from companion.sim.wearer import Activity as WearerActivity
from companion.sim.wearer import Episode, Pose, Script, SimulatedWearer

CHUNK_S = 60.0


def wearer_readings(
    wearer: SimulatedWearer,
    rate_hz: float = 50.0,
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    chunk_s: float = CHUNK_S,
) -> Iterator[list[ImuReading]]:
    """The wearer's sensor samples as readings, a chunk at a time."""
    index = round(start_s * rate_hz)
    for chunk in wearer_arrays(wearer, rate_hz, start_s=start_s, end_s=end_s, chunk_s=chunk_s):
        assert chunk.gyro_dps is not None
        stop = index + len(chunk.t)
        yield [
            ImuReading(ti, (a[0], a[1], a[2]), (g[0], g[1], g[2]), seq)
            for ti, a, g, seq in zip(
                chunk.t.tolist(), chunk.accel_g.tolist(), chunk.gyro_dps.tolist(), range(index, stop)
            )
        ]
        index = stop


def wearer_arrays(
    wearer: SimulatedWearer,
    rate_hz: float = 50.0,
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    chunk_s: float = CHUNK_S,
) -> Iterator[SampleArrays]:
    """The same samples as :func:`wearer_readings`, as arrays a chunk at a time."""
    end_s = wearer.duration_s if end_s is None else end_s
    index = round(start_s * rate_hz)
    last = int(end_s * rate_hz)
    per_chunk = int(chunk_s * rate_hz)
    while index < last:
        stop = min(last, index + per_chunk)
        t = np.arange(index, stop) / rate_hz
        accel, gyro = wearer.sample(t)
        yield SampleArrays(t, accel, gyro)
        index = stop


@dataclass
class DayRun:
    events: list[EngineEvent]
    times_s: np.ndarray  # one per engine tick
    flexion_deg: np.ndarray
    lateral_deg: np.ndarray
    moving: np.ndarray  # the engine's activity gate said walking or transition
    samples: int


def run_wearer(wearer: SimulatedWearer, settings: EngineSettings = EngineSettings(), rate_hz: float = 50.0) -> DayRun:
    """Replay the whole script through a fresh engine that calibrates at the start."""
    engine = PostureEngine(settings, rate_hz=rate_hz)
    engine.start_calibration()
    run = replay(engine, wearer_arrays(wearer, rate_hz))
    times = [t.t_s for t in run.ticks]
    flexion = [t.flexion_deg for t in run.ticks]
    lateral = [t.lateral_deg for t in run.ticks]
    moving = [t.activity in (Activity.WALKING, Activity.TRANSITION) for t in run.ticks]
    events, samples = run.events, run.samples
    return DayRun(events, np.array(times), np.array(flexion), np.array(lateral), np.array(moving), samples)


@dataclass
class Scores:
    true_episodes: int
    detected_episodes: int
    recall: float
    precision: float
    false_alerts: int
    alert_delays_s: list[float] = field(default_factory=list)
    missed_alerts: int = 0

    @property
    def median_alert_delay_s(self) -> float:
        return statistics.median(self.alert_delays_s) if self.alert_delays_s else float("nan")


def _overlaps(a_start: float, a_end: float, b: Episode, margin_s: float = 2.0) -> bool:
    return a_start < b.end_s + margin_s and b.start_s - margin_s < a_end


def score(truth: list[Episode], events: list[EngineEvent], delay_s: float) -> Scores:
    """Match detected episodes (SlouchStarted .. SlouchEnded) to true ones by overlap.

    An alert is false when no true episode was under way; its delay is measured from
    the true onset plus the configured delay, for true episodes long enough to alert.
    """
    detected: list[tuple[float, float]] = []
    open_start: float | None = None
    for e in events:
        if isinstance(e, SlouchStarted):
            open_start = e.onset_s
        elif isinstance(e, SlouchEnded):
            detected.append((e.start_s, e.end_s))
            open_start = None
    if open_start is not None:
        detected.append((open_start, float("inf")))
    matched_truth = sum(any(_overlaps(s, e, ep) for s, e in detected) for ep in truth)
    matched_detected = sum(any(_overlaps(s, e, ep) for ep in truth) for s, e in detected)
    alerts = [e for e in events if isinstance(e, SlouchAlerted)]
    false_alerts = sum(not any(ep.start_s - 2.0 <= a.t_s <= ep.end_s + 2.0 for ep in truth) for a in alerts)
    delays: list[float] = []
    missed = 0
    for ep in truth:
        due = ep.start_s + delay_s
        if ep.end_s - due < 2.0:
            continue  # too short to owe an alert
        hits = [a.t_s - due for a in alerts if ep.start_s - 2.0 <= a.t_s <= ep.end_s + 2.0]
        if hits:
            delays.append(min(hits, key=abs))
        else:
            missed += 1
    return Scores(
        true_episodes=len(truth),
        detected_episodes=len(detected),
        recall=matched_truth / len(truth) if truth else 1.0,
        precision=matched_detected / len(detected) if detected else 1.0,
        false_alerts=false_alerts,
        alert_delays_s=delays,
        missed_alerts=missed,
    )


def tilt_errors(wearer: SimulatedWearer, run: DayRun) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-tick flexion error (engine minus truth) and masks for still and moving ticks.

    Ticks during the first minute (calibration) are left out."""
    truth = wearer.truth(run.times_s)
    error = run.flexion_deg - truth[:, 0]
    activities = wearer.activity(run.times_s)
    scripted_moving = np.array([a.value in ("walking", "stand_up", "sit_down") for a in activities])
    settled = run.times_s > 60.0
    pose = wearer.scripted_pose(run.times_s)
    pose_next = wearer.scripted_pose(run.times_s + 0.5)
    still = settled & ~scripted_moving & (np.abs(pose_next - pose).max(axis=1) < 0.05)
    seated_moving = settled & ~scripted_moving & ~still
    return error, still, seated_moving


STRETCH_LEAD_IN_S = 6.0  # the engine's start-up before the stretch begins


def stretch_script(
    plan: StretchPlan,
    *,
    left: float = 45,
    right: float = 40,
    extension: float = 10,
    lateral_rest: float = 0.0,
    does_nothing: bool = False,
) -> Script:
    """A wearer who follows the plan's steps with the given ranges (or just sits)."""
    script = Script().sit(STRETCH_LEAD_IN_S)
    for step in plan.steps:
        if does_nothing:
            script.sit(step.seconds)
            continue
        pose = {
            "left": Pose(0.0, 0.0, left),
            "right": Pose(0.0, 0.0, -right),
            "extension": Pose(-extension),
            "rest": Pose(0.0, lateral_rest),
        }.get(step.measure, Pose())
        script.add(WearerActivity.STRETCH_ROTATION, step.seconds, pose, ramp_s=min(2.0, step.seconds))
    return script.sit(2.0)


def measure_stretch(plan: StretchPlan, wearer: SimulatedWearer) -> StretchResult:
    """Run the guided stretch against the wearer, calibrated exactly, as the app does."""
    frame = BodyFrame.from_dict(wearer.exact_frame())
    engine = PostureEngine(frame=frame)
    guided = GuidedStretch(plan, frame.up)
    last_t = 0.0
    for chunk in wearer_readings(wearer):
        for i in range(0, len(chunk), 10):
            batch = chunk[i : i + 10]
            engine.process(batch)
            last_t = batch[-1].t_s
            if last_t >= STRETCH_LEAD_IN_S and not guided.finished(last_t):
                snap = engine.snapshot
                guided.feed(batch, snap.flexion_deg, snap.lateral_deg)
    return guided.result(last_t)


def gate_by_label(path) -> dict[str, dict[str, float]]:
    """The activity gate's verdicts over a labelled recording (CSV with a ``label``
    column), as the share of each activity per label. The gate needs no body frame."""
    import collections
    import csv

    from companion.recording import read_readings

    with open(path, newline="") as handle:
        labels = [row.get("label", "") or "" for row in csv.DictReader(handle)]
    readings = list(read_readings(path))
    engine = PostureEngine(frame=BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)))
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for i in range(0, len(readings), 10):
        engine.process(readings[i : i + 10])
        label = labels[min(i + 9, len(labels) - 1)]
        if label:
            counts[label][engine.snapshot.activity.value] += 1
    return {label: {k: v / sum(c.values()) for k, v in c.items()} for label, c in counts.items()}


# -- real seated postures (../shared/data/seated-postures) --------------------------

SEATED_LABELS = ("upright", "slouching", "forward", "backward", "left", "right")
SEATED_MUST_ALERT = {"upright": False, "slouching": True, "forward": True, "backward": False}
SEATED_DELAY_S = 15.0  # the longest offered delay that fits a 30 s trial after the filter's start-up
REFERENCE_THRESHOLD_DEG = 12.0


def _seated_trial(path) -> np.ndarray:
    """A trial as an array of rows t, ax, ay, az (g), gx, gy, gz (deg/s)."""
    import gzip

    with gzip.open(path, "rt") as handle:
        data = np.loadtxt(handle, delimiter=",", skiprows=1, usecols=range(7), ndmin=2)
    data[:, 1:4] /= 9.80665
    return data


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


@dataclass
class SeatedTrial:
    person: str
    label: str
    alerted: bool
    lean_alerted: bool
    flexion_deg: float  # the engine's mean over the trial
    lateral_deg: float
    reference_flexion_deg: float  # elevation of the trial's mean gravity along the lean direction
    slips: int


def seated_trials(root, settings: EngineSettings | None = None) -> list[SeatedTrial]:
    """Every trial not used for calibration, run through the engine with a body frame
    built per person as the guided calibration builds it: upright from one upright
    trial, forward from one forward-bending trial (the first that leans at least the
    guided minimum of 12 deg; failing that, the person's largest forward trial, as a
    wearer asked to lean further would end up giving)."""
    import re
    from pathlib import Path

    from companion.engine.engine import LEAN_MIN_DEG
    from companion.engine.events import RecalibrationNeeded

    settings = settings or EngineSettings(delay_s=SEATED_DELAY_S)
    by_person: dict[str, dict[str, list[Path]]] = {}
    for path in sorted(Path(root).glob("sub*_*_trial*_T4.csv.gz")):
        match = re.match(r"sub(\d+)_([a-z]+)_trial\d+", path.name)
        if match and match[2] in SEATED_LABELS:
            by_person.setdefault(match[1], {}).setdefault(match[2], []).append(path)
    trials: list[SeatedTrial] = []
    for person, files in sorted(by_person.items()):
        if not files.get("upright") or not files.get("forward"):
            continue
        data = {path: _seated_trial(path) for paths in files.values() for path in paths}
        upright_file = files["upright"][0]
        up = data[upright_file][:, 1:4].mean(axis=0)
        leans = [(_angle_deg(up, data[p][:, 1:4].mean(axis=0)), p) for p in files["forward"]]
        enough = [lean for lean in leans if lean[0] >= LEAN_MIN_DEG]
        lean_file = (enough[0] if enough else max(leans))[1]
        frame = BodyFrame.from_lean(up, data[lean_file][:, 1:4].mean(axis=0))
        for label in SEATED_LABELS:
            for path in files.get(label, []):
                if path in (upright_file, lean_file):
                    continue
                rows = data[path]
                engine = PostureEngine(settings, rate_hz=50.0, frame=frame)
                run = replay(engine, SampleArrays(rows[:, 0], rows[:, 1:4], rows[:, 4:7]))
                events = run.events
                flexions = [t.flexion_deg for t in run.ticks]
                laterals = [t.lateral_deg for t in run.ticks]
                reference, _ = frame.angles_deg(rows[:, 1:4].mean(axis=0))
                trials.append(
                    SeatedTrial(
                        person,
                        label,
                        any(isinstance(e, SlouchAlerted) for e in events),
                        any(type(e).__name__ == "LeanAlerted" for e in events),
                        float(np.mean(flexions)) if flexions else float("nan"),
                        float(np.mean(laterals)) if laterals else float("nan"),
                        reference,
                        sum(isinstance(e, RecalibrationNeeded) for e in events),
                    )
                )
    return trials


def seated_scores(trials: list[SeatedTrial], threshold_deg: float = REFERENCE_THRESHOLD_DEG) -> dict[str, float]:
    """Accuracy over the four alert labels for the engine and the bare reference, the
    per-label alert rates, mean angles, and how often side bends lean the right way."""
    out: dict[str, float] = {}
    scored = [t for t in trials if t.label in SEATED_MUST_ALERT]
    if not scored:
        return out
    out["accuracy"] = sum(t.alerted == SEATED_MUST_ALERT[t.label] for t in scored) / len(scored)
    out["reference_accuracy"] = sum(
        (t.reference_flexion_deg > threshold_deg) == SEATED_MUST_ALERT[t.label] for t in scored
    ) / len(scored)
    for label in SEATED_LABELS:
        mine = [t for t in trials if t.label == label]
        if not mine:
            continue
        out[f"{label}_alert_rate"] = sum(t.alerted for t in mine) / len(mine)
        out[f"{label}_flexion_deg"] = float(np.nanmean([t.flexion_deg for t in mine]))
        out[f"{label}_lateral_deg"] = float(np.nanmean([t.lateral_deg for t in mine]))
    sides = [t for t in trials if t.label in ("left", "right")]
    if sides:
        out["side_bend_correct_side"] = sum((t.lateral_deg > 0) == (t.label == "right") for t in sides) / len(sides)
    out["trials"] = float(len(trials))
    out["slips"] = float(sum(t.slips for t in trials))
    return out


def slips_in_recordings(paths, step_s: float = 1.0) -> tuple[int, float]:
    """Slip detections (RecalibrationNeeded) over whole real recordings, and their
    total hours. Slips do not depend on the body frame, so any frame serves; after a
    detection the engine is given its frame again, as a wearer recalibrating would,
    within ``step_s`` of sample time (the samples go in as arrays, that much at a time)."""
    from companion.engine.events import RecalibrationNeeded
    from companion.recording import read_chunks

    slips, seconds = 0, 0.0
    frame = BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0))
    for path in paths:
        chunks = list(read_chunks(path))
        first, last = chunks[0].t[0], chunks[-1].t[-1]
        if last <= first:
            continue
        seconds += float(last - first)
        engine = PostureEngine(frame=frame)
        for chunk in chunks:
            bounds = np.searchsorted(chunk.t, np.arange(chunk.t[0] + step_s, chunk.t[-1], step_s), side="right")
            start = 0
            for stop in [*bounds.tolist(), len(chunk.t)]:
                if stop <= start:
                    continue
                gyro = None if chunk.gyro_dps is None else chunk.gyro_dps[start:stop]
                for event in engine.process_arrays(chunk.t[start:stop], chunk.accel_g[start:stop], gyro):
                    if isinstance(event, RecalibrationNeeded):
                        slips += 1
                        engine.set_frame(frame)
                start = stop
    return slips, seconds / 3600.0
