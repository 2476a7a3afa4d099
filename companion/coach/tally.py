"""Today's numbers for the live screen, from engine snapshots and events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import Activity, EngineState, PostureSnapshot, SlouchStarted
from ..engine.events import EngineEvent

if TYPE_CHECKING:  # records only: importing the history package would load sqlite3
    from ..history.records import Alert, Bin, Episode

BREAK_WALK_S = 20.0  # this much walking counts as a break from sitting
MAX_GAP_S = 5.0  # longer gaps between snapshots are time away, not tracked
# Rising from a chair (or sitting down) tips the upper back well forward for about
# a second while it turns fast: a transition that reaches this far is a change of
# position, which ends the sitting period; a quick reach or glance stays below.
POSITION_CHANGE_DEG = 30.0


@dataclass
class DayTally:
    tracked_s: float = 0.0
    upright_s: float = 0.0
    slouched_s: float = 0.0
    moving_s: float = 0.0
    episodes: int = 0
    alerts: int = 0  # slouch and side-lean nudges that reached the wearer (reminders too)
    alerts_held_back: int = 0  # held back by quiet mode, snooze, quiet hours or the budget
    lean_alerts: int = 0  # side-lean alerts, delivered or held back
    sitting_since_s: float | None = None
    _walking_s: float = 0.0
    _last_t: float | None = None
    _transition_peak_deg: float | None = None

    @classmethod
    def from_history(cls, episodes: Iterable[Episode], alerts: Iterable[Alert], bins: Iterable[Bin]) -> DayTally:
        """Today so far, as stored: what earlier runs of the app recorded."""
        tally = cls()
        tally.episodes = sum(1 for _ in episodes)
        for alert in alerts:
            tally.count_alert(alert.kind, alert.delivered)
        for b in bins:
            tally.tracked_s += b.upright_s + b.slouched_s + b.moving_s
            tally.upright_s += b.upright_s
            tally.slouched_s += b.slouched_s
            tally.moving_s += b.moving_s
        return tally

    def new_session(self) -> None:
        """A new link session (another sensor, a restart) keeps the day's numbers;
        its sample time starts afresh, so the sitting period does too."""
        self._last_t = None
        self.sitting_since_s = None
        self._walking_s = 0.0
        self._transition_peak_deg = None

    @property
    def upright_share(self) -> float:
        judged = self.upright_s + self.slouched_s
        return self.upright_s / judged if judged else 1.0

    def sitting_for_s(self, now_s: float) -> float:
        return 0.0 if self.sitting_since_s is None else now_s - self.sitting_since_s

    def add(self, snapshot: PostureSnapshot) -> None:
        t = snapshot.t_s
        if self._last_t is not None:
            dt = t - self._last_t
            if 0 < dt <= MAX_GAP_S:
                self.tracked_s += dt
                if snapshot.state in (EngineState.SLOUCHING, EngineState.ALERTED):
                    self.slouched_s += dt
                elif snapshot.state is EngineState.MOVING:
                    self.moving_s += dt
                elif snapshot.state is EngineState.UPRIGHT:
                    self.upright_s += dt
                self._follow_transition(snapshot)
                if snapshot.activity is Activity.WALKING:
                    self._walking_s += dt
                    if self._walking_s >= BREAK_WALK_S:
                        self.sitting_since_s = None
                else:
                    self._walking_s = 0.0
                    if self.sitting_since_s is None and snapshot.activity is not Activity.TRANSITION:
                        self.sitting_since_s = t
        self._last_t = t

    def _follow_transition(self, snapshot: PostureSnapshot) -> None:
        """A stand-up (or sit-down) transition restarts the sitting period."""
        if snapshot.activity is Activity.TRANSITION:
            flexion = snapshot.flexion_deg if snapshot.flexion_deg is not None else float("-inf")
            peak = self._transition_peak_deg
            self._transition_peak_deg = flexion if peak is None else max(peak, flexion)
            return
        if self._transition_peak_deg is not None and self._transition_peak_deg >= POSITION_CHANGE_DEG:
            self.sitting_since_s = None
        self._transition_peak_deg = None

    def on_event(self, event: EngineEvent) -> None:
        if isinstance(event, SlouchStarted):
            self.episodes += 1

    def count_alert(self, kind: str, delivered: bool) -> None:
        """An alert as the history stores it, so the live count and the stored one
        agree: slouch and side-lean alerts, delivered or held back, as ``posture
        report`` and the history screen count them (breaks are prompts, not alerts)."""
        if kind not in ("slouch", "lean"):
            return
        if delivered:
            self.alerts += 1
        else:
            self.alerts_held_back += 1
        if kind == "lean":
            self.lean_alerts += 1
