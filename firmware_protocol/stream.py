"""Putting sample frames back in order: sequence and timestamp unwrapping, loss
accounting, duplicates and late frames. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .frames import SampleBatch

_SEQ_MOD = 1 << 16
_TICK_MOD = 1 << 32


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


@dataclass(frozen=True, slots=True)
class OrderedBatch:
    """A batch released in order, with its absolute first-sample index and time."""

    index: int
    t0_s: float
    batch: SampleBatch


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
    stats: SequenceStats = field(default_factory=SequenceStats)
    _next: int | None = None
    _t_ref: int = 0
    _pending: dict[int, tuple[int, SampleBatch]] = field(default_factory=dict)
    _lost_ranges: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=64))

    def push(self, batch: SampleBatch) -> list[OrderedBatch]:
        if self._next is None:
            self._next = batch.seq if self.start_seq is None else self.start_seq
            self._t_ref = batch.t0_ticks
        index = _unwrap(batch.seq, self._next, _SEQ_MOD)
        ticks = _unwrap(batch.t0_ticks, self._t_ref, _TICK_MOD)
        if index < self._next:
            if any(start <= index < end for start, end in self._lost_ranges):
                self.stats.late_frames += 1
            else:
                self.stats.duplicate_frames += 1
            return []
        if index in self._pending:
            self.stats.duplicate_frames += 1
            return []
        if index == self._next and self._pending:
            self.stats.reordered_frames += 1
        self._pending[index] = (ticks, batch)
        released = self._drain()
        if len(self._pending) > self.max_pending:
            released += self._skip_gap()
        return released

    def flush(self) -> list[OrderedBatch]:
        """Release everything held, counting the gaps before it as lost."""
        released: list[OrderedBatch] = []
        while self._pending:
            released += self._skip_gap()
        return released

    def _drain(self) -> list[OrderedBatch]:
        released = []
        assert self._next is not None
        while self._next in self._pending:
            ticks, batch = self._pending.pop(self._next)
            released.append(OrderedBatch(self._next, ticks / self.tick_hz, batch))
            self._t_ref = ticks
            self._next += len(batch.samples)
            self.stats.delivered += len(batch.samples)
        return released

    def _skip_gap(self) -> list[OrderedBatch]:
        assert self._next is not None
        first = min(self._pending)
        self.stats.lost += first - self._next
        self._lost_ranges.append((self._next, first))
        self._next = first
        return self._drain()
