"""Tracking mode records silently; training mode nudges every sustained slouch; the
default keeps the alert budget. Judged on synthetic rotations of gravity, not the
simulated wearer."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from synthetic import Schedule, readings, upright_frame

from companion.engine import BodyFrame
from companion.history.records import Alert
from companion.live import LiveSession
from companion.settings import NudgeSettings, Settings, SettingsError, from_dict

T0 = datetime(2026, 3, 2, 10, 0)


def three_slouches():
    """Three held slouches of 60 s, four minutes apart: inside one 15-minute budget."""
    schedule = Schedule().hold(10)
    for _ in range(3):
        schedule.hold(60, flexion=24).hold(180)
    return readings(schedule, np.eye(3), rate_hz=10.0)


def run(nudges: NudgeSettings):
    now = [T0]
    session = LiveSession(
        Settings(nudges=nudges), rate_hz=10.0, frame=BodyFrame.from_dict(upright_frame(np.eye(3))), clock=lambda: now[0]
    )
    rs = three_slouches()
    sent, records = [], []
    for i in range(0, len(rs), 10):
        now[0] = T0 + timedelta(seconds=rs[i].t_s)
        update = session.feed(rs[i : i + 10])
        sent += [n.kind for n in update.nudges]
        records += update.records
    alerts = [r for r in records if isinstance(r, Alert) and r.kind == "slouch"]
    return sent, alerts, session


def test_tracking_mode_records_every_alert_and_nudges_none():
    sent, alerts, session = run(NudgeSettings(tracking_mode=True))
    assert [k for k in sent if k != "recalibrate"] == []
    assert len(alerts) == 3 and not any(a.delivered for a in alerts)
    assert {why for _n, why in session.suppressed} == {"tracking mode"}


def test_training_mode_nudges_every_sustained_slouch():
    sent, alerts, _ = run(NudgeSettings(training_mode=True))
    assert len([k for k in sent if k in ("slouch", "stretch")]) == 3
    assert all(a.delivered for a in alerts)


def test_the_default_keeps_the_alert_budget():
    sent, alerts, _ = run(NudgeSettings())
    assert len([k for k in sent if k in ("slouch", "stretch")]) == 1
    assert [a.delivered for a in alerts] == [True, False, False]


def test_training_and_tracking_at_once_is_refused_naming_the_key():
    with pytest.raises(SettingsError, match="exclude each other") as caught:
        from_dict({"nudges": {"training_mode": True, "tracking_mode": True}})
    assert caught.value.key == "nudges.tracking_mode"
