"""The sustained-slouch state machine, on engine ticks (sample time).

A slouch begins when forward flexion passes the threshold (onset) and becomes an
episode once held for the dwell; the alert comes when it has been held for the
configured delay. It ends only when flexion stays ``hysteresis`` below the
threshold for ``clear_hold_s``, or when the wearer walks away. Backward lean never
counts. Movement (walking, standing up, reaching) holds alerts back, and a slouch
cannot begin within ``transition_quiet_s`` of a transition.
"""

from __future__ import annotations

from .activity import Activity
from .events import EngineEvent, LeanAlerted, SlouchAlerted, SlouchEnded, SlouchReminded, SlouchStarted
from .settings import EngineSettings

WALK_ENDS_EPISODE_S = 2.0
LATERAL_HYSTERESIS_DEG = 4.0


class SlouchDetector:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._quiet_until = float("-inf")
        self._walking_since: float | None = None
        self.reset()

    def reset(self) -> None:
        """Forget any slouch or lean in progress (recalibration, pause)."""
        self.onset_s: float | None = None
        self.started = False
        self.alerted = False
        self._reminders = 0
        self._below_since: float | None = None
        self._peak = 0.0
        self._sum = 0.0
        self._count = 0
        self._lean_onset: float | None = None
        self._lean_alerted = False
        self._lean_clear_since: float | None = None

    def held_s(self, t_s: float) -> float:
        return 0.0 if self.onset_s is None else t_s - self.onset_s

    def end_now(self, t_s: float) -> list[EngineEvent]:
        """Close an episode in progress at ``t_s`` (for example when a stretch begins)."""
        events = self._end(t_s, t_s) if self.started else []
        self.reset()
        return events

    def update(self, t_s: float, flexion_deg: float, lateral_deg: float, activity: Activity) -> list[EngineEvent]:
        s = self.settings
        if (
            activity is Activity.STILL and self.onset_s is None and self._lean_onset is None
            and self._walking_since is None and flexion_deg <= s.threshold_deg
            and -s.lateral_threshold_deg < lateral_deg < s.lateral_threshold_deg
        ):
            return []  # sitting well, nothing under way: the common tick, nothing can change
        events: list[EngineEvent] = []
        if activity is Activity.TRANSITION:
            self._quiet_until = t_s + s.transition_quiet_s
        if activity is Activity.WALKING:
            if self._walking_since is None:
                self._walking_since = t_s
            if self.onset_s is not None and t_s - self._walking_since >= WALK_ENDS_EPISODE_S:
                events += self._end(t_s, self._walking_since) if self.started else []
                self.reset()
        else:
            self._walking_since = None
        gated = activity is Activity.WALKING or activity is Activity.TRANSITION or t_s < self._quiet_until

        if flexion_deg > s.threshold_deg:
            self._below_since = None
            if self.onset_s is None and not gated:
                self.onset_s = t_s
                self._peak, self._sum, self._count = flexion_deg, 0.0, 0
        elif flexion_deg < s.clear_deg:
            if self.onset_s is not None:
                if self._below_since is None:
                    self._below_since = t_s
                if t_s - self._below_since >= s.clear_hold_s:
                    if self.started:
                        events += self._end(t_s, self._below_since)
                    self.onset_s = None
                    self.started = self.alerted = False
        else:
            self._below_since = None

        if self.onset_s is not None:
            if self._below_since is None:
                self._peak = max(self._peak, flexion_deg)
                self._sum += flexion_deg
                self._count += 1
            held = t_s - self.onset_s
            if not gated and self._below_since is None:
                if not self.started and held >= s.start_after_s:
                    self.started = True
                    events.append(SlouchStarted(t_s, self.onset_s, flexion_deg))
                if self.started and not self.alerted and held >= s.delay_s:
                    self.alerted = True
                    self._reminders = 0
                    events.append(SlouchAlerted(t_s, self.onset_s, flexion_deg))
                elif self.alerted and held >= s.delay_s + (self._reminders + 1) * s.renudge_s:
                    self._reminders += 1
                    events.append(SlouchReminded(t_s, self.onset_s, flexion_deg, self._reminders))

        events += self._lean(t_s, lateral_deg, gated)
        return events

    def _end(self, t_s: float, end_s: float) -> list[EngineEvent]:
        assert self.onset_s is not None
        mean = self._sum / self._count if self._count else self._peak
        return [SlouchEnded(t_s, self.onset_s, end_s, self._peak, mean, self.alerted)]

    def _lean(self, t_s: float, lateral_deg: float, gated: bool) -> list[EngineEvent]:
        s = self.settings
        if abs(lateral_deg) >= s.lateral_threshold_deg:
            self._lean_clear_since = None
            if self._lean_onset is None and not gated:
                self._lean_onset = t_s
            if (
                self._lean_onset is not None
                and not self._lean_alerted
                and not gated
                and self.onset_s is None  # a slouch alert outranks a side-lean alert
                and t_s - self._lean_onset >= s.lateral_hold_s
            ):
                self._lean_alerted = True
                return [LeanAlerted(t_s, self._lean_onset, lateral_deg)]
        elif abs(lateral_deg) < s.lateral_threshold_deg - LATERAL_HYSTERESIS_DEG and self._lean_onset is not None:
            if self._lean_clear_since is None:
                self._lean_clear_since = t_s
            if t_s - self._lean_clear_since >= s.clear_hold_s:
                self._lean_onset = None
                self._lean_alerted = False
        return []
