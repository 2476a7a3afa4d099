"""The live session offers stretches through the workday, as the prompt policy says:
after long sitting and after a long slouch, within the workday, never in quiet hours,
never twice within the policy's spacing. Readings are pure rotations of gravity with
the matching gyro (independent of the simulated wearer); time comes from a clock the
test moves with the samples."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from companion.coach.stretches import StretchKind, StretchResult
from companion.engine import BodyFrame
from companion.live import LiveSession
from companion.readings import ImuReading
from companion.settings import BreakSettings, NudgeSettings, QuietHours, Settings

RATE_HZ = 25.0
FRAME = BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0))  # sensor z up when upright, x forward
# Leaning forward by p about y: gravity's reaction reads (-sin p, 0, cos p), the gyro +dp/dt on y.


def readings(pitch_deg: np.ndarray, t0_s: float) -> list[ImuReading]:
    pitch = np.radians(pitch_deg)
    gyro = np.gradient(pitch_deg) * RATE_HZ
    return [
        ImuReading(t0_s + i / RATE_HZ, (-float(np.sin(p)), 0.0, float(np.cos(p))), (0.0, float(g), 0.0), i)
        for i, (p, g) in enumerate(zip(pitch, gyro))
    ]


class Day:
    """A live session whose wall clock follows its samples from ``start``."""

    def __init__(self, start: datetime, **settings) -> None:
        self.start = start
        self.t_s = 0.0
        self.session = LiveSession(
            Settings(breaks=BreakSettings(sit_minutes=10), **settings),
            rate_hz=RATE_HZ,
            frame=FRAME,
            clock=lambda: self.start + timedelta(seconds=self.t_s),
        )
        self.prompts: list[tuple[float, str]] = []
        self.pitch_deg = 0.0

    def hold(self, seconds: float, pitch_deg: float = 0.0) -> None:
        """Move to ``pitch_deg`` over 3 s (a smooth rotation, gyro matching), then hold."""
        ramp = self.pitch_deg + (pitch_deg - self.pitch_deg) * (1 - np.cos(np.linspace(0, np.pi, int(3 * RATE_HZ)))) / 2
        self.pitch_deg = pitch_deg
        profile = np.concatenate([ramp, np.full(int(seconds * RATE_HZ), pitch_deg)])
        samples = readings(profile, self.t_s + 1 / RATE_HZ)
        for start in range(0, len(samples), 5):
            batch = samples[start : start + 5]
            self.t_s = batch[-1].t_s
            for nudge in self.session.feed(batch).nudges:
                if nudge.kind == "break":
                    self.prompts.append((self.t_s, nudge.title))


def test_long_sitting_brings_one_prompt_then_none_for_the_policys_spacing():
    day = Day(datetime(2026, 12, 1, 10, 0))
    day.hold(11 * 60)
    assert [title for _, title in day.prompts] == ["Time for a break"]
    assert 10 * 60 <= day.prompts[0][0] <= 10 * 60 + 5
    day.hold(15 * 60)  # still sitting: the next prompt waits its 30 minutes
    assert len(day.prompts) == 1


def test_no_prompt_outside_the_workday_or_in_quiet_hours():
    evening = Day(datetime(2026, 12, 1, 21, 0))
    evening.hold(11 * 60)
    assert evening.prompts == []
    quiet = Day(datetime(2026, 12, 1, 10, 0), quiet_hours=QuietHours("09:30", "12:00"))
    quiet.hold(11 * 60)
    assert quiet.prompts == []


def test_a_long_slouch_that_ends_offers_a_stretch():
    day = Day(datetime(2026, 12, 1, 10, 0), nudges=NudgeSettings(training_mode=True))
    day.hold(20)
    day.hold(150, pitch_deg=25.0)  # a slouch of two and a half minutes
    day.hold(20)  # sat up: the episode ends
    assert "Time to stretch" in [title for _, title in day.prompts]


def test_a_stretch_done_answers_the_prompt():
    day = Day(datetime(2026, 12, 1, 10, 0))
    day.hold(5 * 60)
    day.session.stretch_record(
        StretchResult(StretchKind.TRUNK_ROTATION, 30.0, left_deg=40.0, right_deg=42.0), by_hand=True
    )
    day.hold(6 * 60)  # ten minutes of sitting, but a stretch five minutes ago
    assert day.prompts == []
