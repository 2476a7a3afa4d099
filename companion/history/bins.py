"""Turning engine snapshots into fixed time bins and history records. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import EngineState, PostureSnapshot
from .records import Bin

BIN_S = 5.0
MAX_GAP_S = 5.0

_KIND = {
    EngineState.UPRIGHT: "upright",
    EngineState.SLOUCHING: "slouched",
    EngineState.ALERTED: "slouched",
    EngineState.MOVING: "moving",
    EngineState.PAUSED: "moving",  # stretching
}


@dataclass
class _Open:
    start: float
    upright_s: float = 0.0
    slouched_s: float = 0.0
    moving_s: float = 0.0
    away_s: float = 0.0
    flexion_sum: float = 0.0
    lateral_sum: float = 0.0
    judged_s: float = 0.0


class BinAccumulator:
    """Feeds on (wall time, snapshot) pairs and hands back each closed bin.

    Time the engine could not judge (uncalibrated, calibrating, recalibrate) counts
    as away: worn, but not judged. A gap in the samples (more than ``MAX_GAP_S``
    between two of them, by sample time on the wall clock) is not worn: nothing is
    stored for it, so reports, exports and the history screen show it as not worn.
    """

    def __init__(self, bin_s: float = BIN_S) -> None:
        self.bin_s = bin_s
        self._open: _Open | None = None
        self._last_wall: float | None = None

    def add(self, wall_s: float, snapshot: PostureSnapshot) -> list[Bin]:
        closed: list[Bin] = []
        if self._open is None:
            self._open = _Open(wall_s - wall_s % self.bin_s)
        last = self._last_wall
        self._last_wall = wall_s
        if last is None or wall_s <= last:
            return closed
        dt = wall_s - last
        if dt > MAX_GAP_S:
            # Not worn: close what was filled before the gap, start again after it.
            start = wall_s - wall_s % self.bin_s
            if start > self._open.start:
                if self._credited(self._open) > 0:
                    closed.append(self._close())
                self._open = _Open(start)
            return closed
        kind = _KIND.get(snapshot.state, "away")
        # Split the interval at bin edges.
        t = last
        while t < wall_s:
            edge = self._open.start + self.bin_s
            step = min(wall_s, edge) - t
            self._credit(kind, step, snapshot)
            t += step
            if t >= edge:
                closed.append(self._close())
                self._open = _Open(edge)
        return closed

    def _credit(self, kind: str, seconds: float, snapshot: PostureSnapshot) -> None:
        b = self._open
        assert b is not None
        setattr(b, f"{kind}_s", getattr(b, f"{kind}_s") + seconds)
        if kind in ("upright", "slouched") and snapshot.flexion_deg is not None:
            b.flexion_sum += snapshot.flexion_deg * seconds
            b.lateral_sum += (snapshot.lateral_deg or 0.0) * seconds
            b.judged_s += seconds

    @staticmethod
    def _credited(b: _Open) -> float:
        return b.upright_s + b.slouched_s + b.moving_s + b.away_s

    def _close(self) -> Bin:
        b = self._open
        assert b is not None
        judged = b.judged_s
        return Bin(
            b.start,
            b.upright_s + b.slouched_s + b.moving_s + b.away_s,
            b.upright_s,
            b.slouched_s,
            b.moving_s,
            b.away_s,
            b.flexion_sum / judged if judged else None,
            b.lateral_sum / judged if judged else None,
        )

    def flush(self) -> list[Bin]:
        """Close the bin in progress (at the end of a session)."""
        if self._open is None or self._last_wall is None or self._credited(self._open) <= 0:
            return []
        closed = [self._close()]
        self._open = None
        return closed
