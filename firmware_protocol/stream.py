"""Putting sample frames back in order: sequence and timestamp unwrapping, loss
accounting, duplicates and late frames, and device-time faults. Pure: no I/O, no
clock.

Device time is checked against the sample count: consecutive samples are
``1 / rate_hz`` apart, so a frame's first-sample time follows from its index and
any trusted earlier frame. A timestamp that disagrees by more than
:attr:`SampleSequencer.time_tolerance_s` (plus a drift allowance) is an outlier:

- at an index the stream could reach (the next frames, or after a gap), the
  timestamp is wrong and is repaired from the index (``time_repairs``);
- behind the stream, or implausibly far ahead of it, both the counter and the
  clock moved: the device restarted its stream (a reboot, a firmware watchdog).
  So did it when the counter went back further than any delayed frame could
  (:data:`_MAX_BEHIND_S`), whatever the clock says.
  What was held is released, and tracking restarts at that frame, flagged
  ``restarted`` so the consumer re-anchors its clock (``restarts``).

A duplicate or a late frame carries the timestamp it had the first time, so it
agrees with the clock and is told apart from a restart.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .frames import SampleBatch, SampleFrame

_SEQ_MOD = 1 << 16
_TICK_MOD = 1 << 32
#: Further ahead than this (in samples) is not a gap but a restarted counter.
_MAX_AHEAD = _SEQ_MOD // 4
#: Further behind than this (in seconds of samples) is no duplicate or late frame:
#: those come within moments of the original.
_MAX_BEHIND_S = 10.0
#: Allowed clock drift between device and sample count, as a share of elapsed time.
_DRIFT = 0.01


def _unwrap(value: int, reference: int, modulus: int) -> int:
    """The absolute value nearest ``reference`` that is congruent to ``value``."""
    half = modulus // 2
    delta = (value - reference + half) % modulus - half
    return reference + delta


@dataclass(slots=True)
class SequenceStats:
    """Counts over one sequencer's life, in samples unless named otherwise."""

    delivered: int = 0
    lost: int = 0
    duplicate_frames: int = 0
    late_frames: int = 0
    reordered_frames: int = 0
    time_repairs: int = 0
    restarts: int = 0


@dataclass(frozen=True, slots=True)
class OrderedBatch:
    """A batch released in order, with its absolute first-sample index and time.

    ``restarted`` marks the first batch after the device restarted its counter and
    clock: its time is on a new device clock.
    """

    index: int
    t0_s: float
    batch: SampleBatch | SampleFrame
    restarted: bool = False


@dataclass(slots=True)
class SampleSequencer:
    """Release frames in sample order; count gaps as lost, drop duplicates.

    A frame that arrives ahead of a gap is held for up to ``max_pending`` frames
    in case the missing one was only delayed; past that the gap is declared lost.
    ``start_seq`` is the sequence number the stream starts at when known (START
    always restarts it at 0); otherwise the first frame seen sets it.
    """

    tick_hz: int = 1_000_000
    max_pending: int = 3
    start_seq: int | None = None
    time_tolerance_s: float = 0.5
    stats: SequenceStats = field(default_factory=SequenceStats)
    _next: int | None = None
    _offset: int = 0  # stream index minus the device's unwrapped sequence number
    _t_ref: int = 0  # last trusted timestamp (unwrapped ticks)
    _i_ref: int = 0  # its stream index
    _restart_at: int | None = None  # index of a frame to release flagged ``restarted``
    _pending: dict[int, tuple[int, SampleBatch | SampleFrame]] = field(default_factory=dict)
    _lost_ranges: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=64))

    def push(self, batch: SampleBatch | SampleFrame) -> list[OrderedBatch]:
        if self._next is None:
            self._next = batch.seq if self.start_seq is None else self.start_seq
            self._offset = 0
            self._i_ref = _unwrap(batch.seq, self._next, _SEQ_MOD)
            self._t_ref = batch.t0_ticks
        index = _unwrap(batch.seq, self._next - self._offset, _SEQ_MOD) + self._offset
        ticks = _unwrap(batch.t0_ticks, self._t_ref, _TICK_MOD)
        expected = self._t_ref + round((index - self._i_ref) * self.tick_hz / batch.config.rate_hz)
        elapsed_s = abs(index - self._i_ref) / batch.config.rate_hz
        tolerance = (self.time_tolerance_s + _DRIFT * elapsed_s) * self.tick_hz
        released: list[OrderedBatch] = []
        if index < self._next - _MAX_BEHIND_S * batch.config.rate_hz:
            released += self._restart(batch)
            index, ticks = self._next, batch.t0_ticks
        elif abs(ticks - expected) > tolerance:
            if index < self._next or index > self._next + _MAX_AHEAD:
                released += self._restart(batch)
                index, ticks = self._next, batch.t0_ticks
            else:
                self.stats.time_repairs += 1
                ticks = expected
        elif index >= self._next:
            self._i_ref, self._t_ref = index, ticks
        if index == self._next and not self._pending:
            # The next frame with nothing held: released at once (what _drain does
            # for it, without holding it first).
            restarted = self._restart_at == index
            if restarted:
                self._restart_at = None
            released.append(OrderedBatch(index, ticks / self.tick_hz, batch, restarted))
            count = batch.count
            self._next = index + count
            self.stats.delivered += count
            return released
        if index < self._next:
            if any(start <= index < end for start, end in self._lost_ranges):
                self.stats.late_frames += 1
            else:
                self.stats.duplicate_frames += 1
            return released
        if index in self._pending:
            self.stats.duplicate_frames += 1
            return released
        if index == self._next and self._pending:
            self.stats.reordered_frames += 1
        self._pending[index] = (ticks, batch)
        released += self._drain()
        if len(self._pending) > self.max_pending:
            released += self._skip_gap()
        return released

    def flush(self) -> list[OrderedBatch]:
        """Release everything held, counting the gaps before it as lost."""
        released: list[OrderedBatch] = []
        while self._pending:
            released += self._skip_gap()
        return released

    def _restart(self, batch: SampleBatch | SampleFrame) -> list[OrderedBatch]:
        """The device started counting and timing afresh at ``batch``: release what
        is held, then continue the stream index from there on the new clock."""
        released = self.flush()
        assert self._next is not None
        self.stats.restarts += 1
        self._offset = self._next - batch.seq
        self._i_ref, self._t_ref = self._next, batch.t0_ticks
        self._lost_ranges.clear()
        self._restart_at = self._next
        return released

    def _drain(self) -> list[OrderedBatch]:
        released = []
        assert self._next is not None
        while self._next in self._pending:
            ticks, batch = self._pending.pop(self._next)
            restarted = self._restart_at == self._next
            if restarted:
                self._restart_at = None
            released.append(OrderedBatch(self._next, ticks / self.tick_hz, batch, restarted))
            count = batch.count
            self._next += count
            self.stats.delivered += count
        return released

    def _skip_gap(self) -> list[OrderedBatch]:
        assert self._next is not None
        first = min(self._pending)
        self.stats.lost += first - self._next
        self._lost_ranges.append((self._next, first))
        self._next = first
        return self._drain()
