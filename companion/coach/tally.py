"""Today's numbers for the live screen, from engine snapshots and events."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import Activity, EngineState, LeanAlerted, PostureSnapshot, SlouchAlerted, SlouchStarted
from ..engine.events import EngineEvent

BREAK_WALK_S = 20.0  # this much walking counts as a break from sitting
MAX_GAP_S = 5.0  # longer gaps between snapshots are time away, not tracked


@dataclass
class DayTally:
    tracked_s: float = 0.0
    upright_s: float = 0.0
    slouched_s: float = 0.0
    moving_s: float = 0.0
    episodes: int = 0
    alerts: int = 0
    lean_alerts: int = 0
    sitting_since_s: float | None = None
    _walking_s: float = 0.0
    _last_t: float | None = None

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
                if snapshot.activity is Activity.WALKING:
                    self._walking_s += dt
                    if self._walking_s >= BREAK_WALK_S:
                        self.sitting_since_s = None
                else:
                    self._walking_s = 0.0
                    if self.sitting_since_s is None:
                        self.sitting_since_s = t
        self._last_t = t

    def on_event(self, event: EngineEvent) -> None:
        if isinstance(event, SlouchStarted):
            self.episodes += 1
        elif isinstance(event, SlouchAlerted):
            self.alerts += 1
        elif isinstance(event, LeanAlerted):
            self.lean_alerts += 1
