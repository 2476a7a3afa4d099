"""When to offer a stretch: spread through the workday, never in quiet hours.

Pure: the caller passes the local wall time (``datetime``) and the sitting time it
measured on sample time. A prompt is due

- after ``sit_minutes`` of sitting without a break, or
- when a slouch episode of at least ``after_episode_s`` has just ended (the offer
  stands for ``episode_offer_minutes``, then lapses),

and only inside the workday, outside quiet hours, and at most once every
``min_minutes_between`` minutes (a stretch done counts as a prompt answered).
A clock that jumps back is taken as "now", so it can neither block prompts for
hours nor let two through at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..settings.values import BreakSettings, QuietHours


class PromptReason(enum.Enum):
    LONG_SITTING = "long_sitting"
    AFTER_EPISODE = "after_episode"


@dataclass(frozen=True, slots=True)
class StretchPromptSettings:
    sit_minutes: int = 40
    min_minutes_between: int = 30
    after_episode_s: float = 120.0
    episode_offer_minutes: int = 10
    workday_start: str = "08:00"  # "HH:MM", local
    workday_end: str = "19:00"

    def __post_init__(self) -> None:
        for name in ("workday_start", "workday_end"):
            value = getattr(self, name)
            hours, _, minutes = value.partition(":")
            if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
                raise ValueError(f"{name} = {value!r}: a time as HH:MM")
        if self.sit_minutes < 1 or self.min_minutes_between < 1 or self.after_episode_s < 0:
            raise ValueError("sit_minutes and min_minutes_between must be at least 1, after_episode_s at least 0")


def prompt_settings(breaks: BreakSettings) -> StretchPromptSettings:
    """The prompt settings that follow the user's break setting."""
    return StretchPromptSettings(sit_minutes=breaks.sit_minutes)


def _minute_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class StretchPromptDue:
    at: datetime
    reason: PromptReason


class StretchPromptPolicy:
    """Decides, minute by minute, whether a stretch prompt is due; remembers the last one."""

    def __init__(
        self, settings: StretchPromptSettings = StretchPromptSettings(), quiet_hours: QuietHours = QuietHours()
    ) -> None:
        self.settings = settings
        self.quiet_hours = quiet_hours
        self.last_prompt: datetime | None = None
        self.last_stretch: datetime | None = None
        self._episode_ended_at: datetime | None = None
        self.prompts_today = 0
        self._day: date | None = None

    def in_workday(self, now: datetime) -> bool:
        minute = now.hour * 60 + now.minute
        start, end = _minute_of_day(self.settings.workday_start), _minute_of_day(self.settings.workday_end)
        inside = start <= minute < end if start <= end else minute >= start or minute < end
        return inside and not self.quiet_hours.contains(now.hour, now.minute)

    def _latest_answered(self, now: datetime) -> datetime | None:
        """The last prompt or stretch; one "in the future" (the clock went back) is moved to now."""
        if self.last_prompt is not None and self.last_prompt > now:
            self.last_prompt = now
        if self.last_stretch is not None and self.last_stretch > now:
            self.last_stretch = now
        times = [t for t in (self.last_prompt, self.last_stretch) if t is not None]
        return max(times) if times else None

    def episode_ended(self, now: datetime, duration_s: float) -> None:
        if duration_s >= self.settings.after_episode_s:
            self._episode_ended_at = now

    def _episode_offer_open(self, now: datetime) -> bool:
        ended = self._episode_ended_at
        if ended is None:
            return False
        if not ended - timedelta(minutes=1) <= now <= ended + timedelta(minutes=self.settings.episode_offer_minutes):
            self._episode_ended_at = None  # lapsed (or the clock jumped): offer no stale stretch
            return False
        return True

    def stretch_done(self, now: datetime) -> None:
        self.last_stretch = now
        self._episode_ended_at = None

    def due(self, now: datetime, sitting_s: float) -> StretchPromptDue | None:
        """The prompt to show now, if one is due (and counted as shown)."""
        if self._day != now.date():
            self._day, self.prompts_today = now.date(), 0
        reason = None
        if sitting_s >= self.settings.sit_minutes * 60.0:
            reason = PromptReason.LONG_SITTING
        elif self._episode_offer_open(now):
            reason = PromptReason.AFTER_EPISODE
        if reason is None:
            return None
        if not self.in_workday(now):
            return None
        recent = self._latest_answered(now)
        if recent is not None and now - recent < timedelta(minutes=self.settings.min_minutes_between):
            return None
        self.last_prompt = now
        self._episode_ended_at = None
        self.prompts_today += 1
        return StretchPromptDue(now, reason)
