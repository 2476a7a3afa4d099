"""Coaching: when to nudge, and the day's numbers. Pure: time is passed in.

The names below load on first use: the plan, the score and the day summaries
(``posture report``, ``posture plan``) need neither the engine nor numpy, which
the day tally pulls in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .nudges import NudgePolicy
    from .tally import DayTally

__all__ = ["DayTally", "NudgePolicy"]


def __getattr__(name: str) -> Any:
    if name == "DayTally":
        from .tally import DayTally

        return DayTally
    if name == "NudgePolicy":
        from .nudges import NudgePolicy

        return NudgePolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
