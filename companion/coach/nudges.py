"""When a nudge may reach the wearer: tracking mode, snooze, quiet mode, quiet hours,
alert budget.

Three modes (docs/habit.md): tracking records silently (every alert is kept as held
back, none goes out); training nudges every sustained slouch; the default sits
between, because alert fatigue is the top complaint about posture trainers: at most
one posture nudge per budget interval (15 minutes by default, SCIENCE.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..settings.values import NudgeSettings, QuietHours

SNOOZE_CHOICES_MIN = (15, 30, 60)


class NudgePolicy:
    def __init__(self, settings: NudgeSettings = NudgeSettings(), quiet_hours: QuietHours = QuietHours()) -> None:
        self.settings = settings
        self.quiet_hours = quiet_hours
        self.quiet_mode = False
        self.snoozed_until: datetime | None = None
        self.last_nudge: datetime | None = None

    def snooze(self, now: datetime, minutes: int | None) -> datetime:
        """Snooze for ``minutes``, or until tomorrow (midnight) when None."""
        until = (
            datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
            if minutes is None
            else now + timedelta(minutes=minutes)
        )
        self.snoozed_until = until
        return until

    def resume(self) -> None:
        self.snoozed_until = None

    def blocked_by(self, now: datetime) -> str:
        """Why a nudge may not go out now; empty when it may."""
        if self.settings.tracking_mode:
            return "tracking mode"
        if self.quiet_mode:
            return "quiet mode"
        if self.snoozed_until is not None and now < self.snoozed_until:
            return f"snoozed until {self.snoozed_until:%H:%M}"
        if self.quiet_hours.contains(now.hour, now.minute):
            return "quiet hours"
        if not self.settings.training_mode and self.last_nudge is not None:
            next_allowed = self.last_nudge + timedelta(minutes=self.settings.minutes_between)
            if now < next_allowed:
                return f"alert budget (next from {next_allowed:%H:%M})"
        return ""

    def try_nudge(self, now: datetime) -> bool:
        """True (and counted) when a nudge may go out now."""
        if self.blocked_by(now):
            return False
        self.last_nudge = now
        return True
