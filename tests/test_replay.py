"""The one replay: readings through an engine, out come ticks, episodes and alerts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import MOUNTINGS, Schedule, readings, upright_frame

from companion.engine import BodyFrame, EngineSettings, EngineState, PostureEngine
from companion.engine.replay import Alert, replay

MOUNT = MOUNTINGS["straight"]


def _engine(delay_s: int = 15) -> PostureEngine:
    return PostureEngine(EngineSettings(delay_s=delay_s), rate_hz=50.0, frame=BodyFrame.from_dict(upright_frame(MOUNT)))


def _slouch_then_sit_up() -> list:
    return readings(Schedule().hold(20).hold(60, flexion=25).hold(20).hold(40, flexion=25), MOUNT)


def test_replay_folds_events_into_episodes_and_alerts():
    rs = _slouch_then_sit_up()
    run = replay(_engine(), rs)
    assert run.samples == len(rs)
    first, last = run.episodes
    assert 22 < first.start_s < 24 and 84 < first.end_s < 87 and first.alerted
    assert first.peak_deg == pytest.approx(25, abs=1.5) and first.mean_deg == pytest.approx(25, abs=1.5)
    assert 106 < last.start_s < 108 and last.end_s is None and last.peak_deg is None and last.alerted
    assert [a.kind for a in run.alerts] == ["slouch", "slouch"]
    assert isinstance(run.alerts[0], Alert) and run.alerts[0].t_s == pytest.approx(first.start_s + 15, abs=0.3)


def test_every_tick_is_kept_once_with_the_engine_state():
    rs = _slouch_then_sit_up()
    run = replay(_engine(), rs)
    times = [t.t_s for t in run.ticks]
    # A tick is 12 samples at 50 Hz (0.24 s), from the filter's start-up on.
    assert times == sorted(set(times)) and len(times) == pytest.approx((rs[-1].t_s - times[0]) / 0.24, abs=2)
    states = {t.state for t in run.ticks}
    assert {EngineState.UPRIGHT, EngineState.SLOUCHING, EngineState.ALERTED} <= states


def test_chunks_batches_and_one_sequence_replay_the_same():
    rs = _slouch_then_sit_up()
    whole = replay(_engine(), rs)
    chunked = replay(_engine(), [rs[:1234], rs[1234:5000], rs[5000:]], batch=7)
    assert chunked.events == whole.events and chunked.episodes == whole.episodes
    assert [t.t_s for t in chunked.ticks] == [t.t_s for t in whole.ticks]
    assert replay(_engine(), iter([rs])).events == whole.events


def test_without_ticks_only_the_events_are_kept_and_the_listener_is_restored():
    engine = _engine()
    seen = []
    engine.tick_listener = lambda *args: seen.append(args)
    run = replay(engine, _slouch_then_sit_up(), ticks=False)
    assert run.ticks == [] and len(run.episodes) == 2
    assert len(seen) > 500 and engine.tick_listener is not None


def test_an_empty_replay_is_empty():
    run = replay(_engine(), [])
    assert (run.events, run.ticks, run.episodes, run.alerts, run.samples) == ([], [], [], [], 0)
