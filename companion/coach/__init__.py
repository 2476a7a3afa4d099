"""Coaching: when to nudge, and the day's numbers. Pure: time is passed in."""

from .nudges import NudgePolicy
from .tally import DayTally

__all__ = ["DayTally", "NudgePolicy"]
