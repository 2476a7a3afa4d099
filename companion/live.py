"""The live session's brain, without a UI: readings -> engine -> tally -> nudges.

The app's link worker feeds readings in and posts what comes out. Wall-clock time
(for snooze, quiet hours and the alert budget) is passed in, so tests control it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .coach import DayTally, NudgePolicy
from .coach.stretch_prompts import PromptReason, StretchPromptPolicy, prompt_settings
from .coach.stretches import StretchResult
from .engine import (
    BodyFrame,
    CalibrationCompleted,
    LeanAlerted,
    PostureEngine,
    PostureSnapshot,
    RecalibrationNeeded,
    SlouchAlerted,
    SlouchReminded,
)
from .engine.events import EngineEvent, SlouchEnded
from .history.bins import BinAccumulator
from .history.records import (
    Alert,
    BalanceCheck,
    Calibration,
    Episode,
    Record,
    SessionEnded,
    SessionStarted,
    Stretch,
)
from .readings import ImuReading
from .settings.values import Settings

SNAPSHOT_EVERY_S = 0.1  # the UI gets at most ~10 snapshots a second of sample time
SECOND_ALERT_WINDOW_S = 20 * 60


@dataclass(frozen=True, slots=True)
class Nudge:
    kind: str  # "slouch" | "lean" | "break" | "recalibrate"
    title: str
    message: str
    vibrate_level: int = 1


@dataclass
class LiveUpdate:
    events: list[EngineEvent] = field(default_factory=list)
    nudges: list[Nudge] = field(default_factory=list)
    snapshot: PostureSnapshot | None = None
    records: list[Record] = field(default_factory=list)


class LiveSession:
    def __init__(
        self,
        settings: Settings,
        *,
        rate_hz: float = 50.0,
        frame: BodyFrame | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = PostureEngine(settings.posture, rate_hz=rate_hz, frame=frame)
        self.tally = DayTally()
        self.policy = NudgePolicy(settings.nudges, settings.quiet_hours)
        self.suppressed: list[tuple[Nudge, str]] = []
        self._last_snapshot_t = float("-inf")
        # Stretch prompts spread through the workday (coach/stretch_prompts.py).
        self.prompts = StretchPromptPolicy(prompt_settings(settings.breaks), settings.quiet_hours)
        self._bins = BinAccumulator()
        self._alert_times: list[float] = []
        self._anchor: tuple[float, float] | None = None  # (sample time, wall time)

    def set_rate(self, rate_hz: float) -> None:
        """The sensor's actual rate, once connected: the filter is tuned to it."""
        if abs(rate_hz - self.engine.rate_hz) > 0.5:
            # Retuned in place: a calibration in progress and a slouch under way go on.
            self.engine.set_rate(rate_hz)

    def apply_settings(self, settings: Settings) -> None:
        """New thresholds apply from the next tick; calibration and the day's numbers stay."""
        self.settings = settings
        self.engine.apply_settings(settings.posture)
        self.policy.settings = settings.nudges
        self.policy.quiet_hours = settings.quiet_hours
        self.prompts.settings = prompt_settings(settings.breaks)
        self.prompts.quiet_hours = settings.quiet_hours

    def start_record(self, address: str, name: str, kind: str) -> SessionStarted:
        return SessionStarted(self.clock().timestamp(), address, name, kind)

    def end_records(self) -> list[Record]:
        """What closes the session in the history: the slouch episode in progress,
        the bin in progress, the end time."""
        return [*self._closed(self.engine.pause()), *self._bins.flush(), SessionEnded(self.clock().timestamp())]

    def snapshot_at(self) -> float | None:
        """The engine snapshot's wall-clock time (None before the first reading)."""
        return None if self._anchor is None else self.wall_s(self.engine.snapshot.t_s)

    def wall_s(self, t_s: float) -> float:
        """Sample time on the wall clock, anchored at the first reading."""
        if self._anchor is None:
            self._anchor = (t_s, self.clock().timestamp())
        return self._anchor[1] + (t_s - self._anchor[0])

    def feed(self, readings: Sequence[ImuReading]) -> LiveUpdate:
        if readings:
            self.wall_s(readings[0].t_s)
        update = LiveUpdate(events=self.engine.process(readings))
        snapshot = self.engine.snapshot
        # Until the engine's first tick its snapshot predates the first reading (t_s 0):
        # that is no moment of wear, and would open the bins far in the past.
        if self._anchor is None or snapshot.t_s >= self._anchor[0]:
            self.tally.add(snapshot)
            update.records += self._bins.add(self.wall_s(snapshot.t_s), snapshot)
        for event in update.events:
            self.tally.on_event(event)
            nudge = self._nudge_for(event)
            delivered = False
            if nudge is not None:
                blocked = self.policy.blocked_by(self.clock()) if nudge.kind != "recalibrate" else ""
                if blocked:
                    self.suppressed.append((nudge, blocked))
                else:
                    if nudge.kind != "recalibrate":
                        self.policy.try_nudge(self.clock())
                    update.nudges.append(nudge)
                    delivered = True
            record = self._record_for(event, delivered)
            if record is not None:
                update.records.append(record)
                if isinstance(record, Alert):
                    self.tally.count_alert(record.kind, record.delivered)
            if isinstance(event, SlouchAlerted):
                self._stretch_offer(event.t_s, update)
            elif isinstance(event, SlouchEnded):
                self.prompts.episode_ended(self.clock(), event.end_s - event.start_s)
        self._stretch_prompt_due(snapshot.t_s, update)
        if snapshot.t_s - self._last_snapshot_t >= SNAPSHOT_EVERY_S or update.events:
            self._last_snapshot_t = snapshot.t_s
            update.snapshot = snapshot
        return update

    def end_episode_now(self) -> list[Record]:
        """Detection rests (a stretch, a pause): the episode in progress ends now and
        its record is returned for the history. The engine stays paused until resumed."""
        return self._closed(self.engine.pause())

    def start_calibration(self) -> list[Record]:
        """The guided calibration begins: detection rests until the new frame, and the
        episode in progress ends now, its record returned for the history."""
        return self._closed(self.engine.start_calibration())

    def _closed(self, events: list[EngineEvent]) -> list[Record]:
        """The records of the episodes that detection resting closed (the day's tally
        counted each episode as it started)."""
        return [record for event in events if (record := self._record_for(event, False)) is not None]

    def stretch_record(self, result: StretchResult, *, by_hand: bool) -> Stretch:
        self.prompts.stretch_done(self.clock())  # a stretch done answers the next prompt
        t_s = self.engine.snapshot.t_s
        return Stretch(
            self.wall_s(t_s) - result.duration_s,
            result.kind.value,
            "hand" if by_hand else "sensor",
            result.duration_s,
            result.left_deg,
            result.right_deg,
            result.extension_deg,
        )

    def balance_record(self, result: StretchResult) -> BalanceCheck:
        return BalanceCheck(
            self.wall_s(self.engine.snapshot.t_s),
            result.left_deg or 0.0,
            result.right_deg or 0.0,
            result.lateral_rest_deg or 0.0,
        )

    def _stretch_offer(self, t_s: float, update: LiveUpdate) -> None:
        """A second slouch alert within 20 minutes: the alert that goes out offers a
        stretch (one nudge, not two, so the alert budget holds)."""
        self._alert_times = [t for t in self._alert_times if t_s - t <= SECOND_ALERT_WINDOW_S] + [t_s]
        if len(self._alert_times) < 2:
            return
        for index, nudge in enumerate(update.nudges):
            if nudge.kind == "slouch":
                self._alert_times = []
                update.nudges[index] = Nudge(
                    "stretch",
                    "Time to stretch",
                    f"{nudge.message} That is the second slouch in 20 minutes: press r for a one-minute stretch.",
                    nudge.vibrate_level,
                )

    def _stretch_prompt_due(self, t_s: float, update: LiveUpdate) -> None:
        """A stretch prompt when the policy says one is due: after long sitting or a
        long slouch, inside the workday, outside quiet hours, at most every
        ``min_minutes_between`` minutes, and within the alert budget and snooze."""
        now = self.clock()
        if self.policy.blocked_by(now):
            return  # asked again on a later reading, once nudges are allowed
        due = self.prompts.due(now, self.tally.sitting_for_s(t_s))
        if due is None:
            return
        if due.reason is PromptReason.LONG_SITTING:
            minutes = self.tally.sitting_for_s(t_s) / 60
            nudge = Nudge(
                "break",
                "Time for a break",
                f"You have been sitting for {minutes:.0f} minutes. Stand up and press r for a stretch.",
                1,
            )
        else:
            nudge = Nudge(
                "break",
                "Time to stretch",
                "That was a long slouch. Press r for a one-minute stretch to loosen the upper back.",
                1,
            )
        self.policy.try_nudge(now)
        update.nudges.append(nudge)
        update.records.append(Alert(self.wall_s(t_s), "break", None, True))

    def _record_for(self, event: EngineEvent, delivered: bool) -> Record | None:
        if isinstance(event, SlouchEnded):
            return Episode(
                self.wall_s(event.start_s), self.wall_s(event.end_s), event.peak_deg, event.mean_deg, event.alerted
            )
        if isinstance(event, (SlouchAlerted, SlouchReminded)):
            return Alert(self.wall_s(event.t_s), "slouch", event.flexion_deg, delivered)
        if isinstance(event, LeanAlerted):
            return Alert(self.wall_s(event.t_s), "lean", event.lateral_deg, delivered)
        if isinstance(event, CalibrationCompleted):
            return Calibration(self.wall_s(event.t_s), event.frame.up, event.frame.forward)
        return None

    def _nudge_for(self, event: EngineEvent) -> Nudge | None:
        if isinstance(event, SlouchAlerted):
            return Nudge(
                "slouch",
                "Sit up",
                f"You have been slouching for {self.settings.posture.delay_s:g} s "
                f"({event.flexion_deg:.0f} deg forward). Roll your shoulders back and sit tall.",
                1,
            )
        if isinstance(event, SlouchReminded):
            minutes = (event.t_s - event.onset_s) / 60
            return Nudge(
                "slouch",
                "Still slouching",
                f"You have been slouching for {minutes:.0f} minutes "
                f"({event.flexion_deg:.0f} deg forward). Sit tall, or stand up for a moment.",
                1,
            )
        if isinstance(event, LeanAlerted):
            return Nudge(
                "lean",
                "Leaning to the side",
                f"You have leaned {event.side} ({abs(event.lateral_deg):.0f} deg) for a minute.",
                1,
            )
        if isinstance(event, RecalibrationNeeded):
            return Nudge(
                "recalibrate", "Recalibrate", f"{event.reason[0].upper()}{event.reason[1:]}. Press c to recalibrate.", 0
            )
        return None
