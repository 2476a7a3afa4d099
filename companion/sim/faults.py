"""Fault injection for simulated notifications: drop, delay, duplicate, split, corrupt."""

from __future__ import annotations

import enum
import random
from collections import deque
from dataclasses import dataclass, field


class Fault(enum.Enum):
    DROP = "drop"
    DELAY = "delay"
    DUPLICATE = "duplicate"
    SPLIT = "split"
    CORRUPT = "corrupt"


@dataclass
class FaultPlan:
    """What happens to outgoing data notifications.

    Queue one-shot faults with :meth:`inject` (applied to the next notifications in
    order), or set per-notification probabilities for soak runs. ``apply`` returns
    the notifications to send as ``(delay_s, payload)`` pairs.
    """

    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    corrupt_rate: float = 0.0
    delay_s: float = 0.5
    seed: int = 0
    _queued: deque[Fault] = field(default_factory=deque)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def inject(self, fault: Fault | str, count: int = 1) -> None:
        self._queued.extend([Fault(fault)] * count)

    @property
    def pending(self) -> int:
        return len(self._queued)

    def apply(self, payload: bytes) -> list[tuple[float, bytes]]:
        fault = self._next_fault()
        if fault is None:
            return [(0.0, payload)]
        if fault is Fault.DROP:
            return []
        if fault is Fault.DELAY:
            return [(self.delay_s, payload)]
        if fault is Fault.DUPLICATE:
            return [(0.0, payload), (0.0, payload)]
        if fault is Fault.SPLIT:
            cut = _split_point(len(payload))
            return [(0.0, payload[:cut]), (0.0, payload[cut:])]
        return [(0.0, self._corrupt(payload))]

    def _next_fault(self) -> Fault | None:
        if self._queued:
            return self._queued.popleft()
        roll = self._rng.random()  # drawn for every frame, so a plan's draws do not depend on its rates
        if not (self.drop_rate or self.duplicate_rate or self.corrupt_rate):
            return None
        for fault, rate in (
            (Fault.DROP, self.drop_rate),
            (Fault.DUPLICATE, self.duplicate_rate),
            (Fault.CORRUPT, self.corrupt_rate),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return None

    def _corrupt(self, payload: bytes) -> bytes:
        kind = self._rng.randrange(3)
        if kind == 0:  # truncated mid-sample
            return payload[: max(1, len(payload) - 5)]
        if kind == 1:  # a frame from an unknown protocol version
            return bytes([0x21]) + payload[1:]
        return self._rng.randbytes(self._rng.choice((3, 7, 13, 25)))


def _split_point(size: int) -> int:
    """A cut where neither part has the length of a whole sample frame."""
    cut = size // 2
    while (cut - 8) % 12 == 0 or (size - cut - 8) % 12 == 0:
        cut += 1
    return min(cut, size - 1)
