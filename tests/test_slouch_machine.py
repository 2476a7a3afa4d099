"""The slouch and side-lean state machines, tick by tick, with every decision pinned.

The detector is driven directly on the engine's 0.25 s ticks, so each boundary
(strict or inclusive comparison, a hold of exactly so many seconds) is checked
at the tick where it must change the outcome.
"""

from __future__ import annotations

import pytest

from companion.engine.activity import Activity
from companion.engine.events import LeanAlerted, SlouchAlerted, SlouchEnded, SlouchReminded, SlouchStarted
from companion.engine.settings import EngineSettings
from companion.engine.slouch import LATERAL_HYSTERESIS_DEG, WALK_ENDS_EPISODE_S, LeanState, SlouchDetector, SlouchState

TICK = 0.25
STILL, FIDGET, WALK, TRANS = Activity.STILL, Activity.FIDGETING, Activity.WALKING, Activity.TRANSITION


def machine(**changes) -> EngineSettings:
    """The angles in these tests are written for a 12 deg threshold and a clear level of
    8 deg, whatever the shipped defaults (pinned in test_engine_pinned.py)."""
    return EngineSettings(**{"threshold_deg": 12.0, "hysteresis_deg": 4.0, **changes})


class Run:
    """A detector and a sample clock; ``hold`` feeds ticks and keeps every event."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        settings = settings or machine()
        self.d = SlouchDetector(settings)
        self.t = 0.0
        self.events: list = []

    def tick(self, flexion: float = 0.0, lateral: float = 0.0, activity: Activity = STILL) -> list:
        self.t += TICK
        new = self.d.update(self.t, flexion, lateral, activity)
        self.events += new
        return new

    def hold(self, seconds: float, flexion: float = 0.0, lateral: float = 0.0, activity: Activity = STILL) -> list:
        new: list = []
        for _ in range(round(seconds / TICK)):
            new += self.tick(flexion, lateral, activity)
        return new

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def test_constants_are_the_documented_ones():
    assert WALK_ENDS_EPISODE_S == 2.0
    assert LATERAL_HYSTERESIS_DEG == 4.0


# -- forward: onset, dwell, alert, reminders ---------------------------------------------


def test_flexion_at_the_threshold_is_not_a_slouch_and_just_above_it_is():
    run = Run()
    run.hold(120, flexion=12.0)
    assert run.events == [] and run.d.state is SlouchState.UPRIGHT and run.d.onset_s is None
    run.tick(12.01)
    assert run.d.state is SlouchState.ONSET and run.d.onset_s == run.t


def test_flexion_at_the_threshold_is_no_slouch_while_fidgeting_either():
    run = Run()
    run.hold(60.0, 12.0, activity=FIDGET)
    assert run.events == [] and run.d.onset_s is None


def test_episode_starts_at_the_dwell_and_alerts_at_the_delay_exactly():
    run = Run()
    run.tick(13.0)
    onset = run.t
    assert run.d.held_s(run.t) == 0.0
    run.hold(5.0 - TICK, 13.0)
    assert run.events == [] and run.d.state is SlouchState.ONSET and not run.d.started
    [started] = run.tick(14.0)
    assert started == SlouchStarted(onset + 5.0, onset, 14.0)
    assert run.d.state is SlouchState.EPISODE and run.d.started and not run.d.alerted
    run.hold(25.0 - TICK, 13.0)
    assert run.of(SlouchAlerted) == []
    [alerted] = run.tick(15.0)
    assert alerted == SlouchAlerted(onset + 30.0, onset, 15.0)
    assert run.d.state is SlouchState.ALERTED and run.d.alerted and run.d.started
    assert run.d.held_s(run.t) == pytest.approx(30.0)


def test_reminders_come_every_renudge_after_the_alert_one_at_a_time():
    run = Run(machine(renudge_s=60.0))
    run.tick(20.0)
    onset = run.t
    run.hold(30.0 + 60.0 - TICK, 20.0)
    assert run.of(SlouchReminded) == []
    [first] = run.tick(20.0)
    assert first == SlouchReminded(onset + 90.0, onset, 20.0, 1)
    run.hold(60.0, 20.0)
    assert [r.count for r in run.of(SlouchReminded)] == [1, 2]
    assert run.of(SlouchReminded)[1].t_s == pytest.approx(onset + 150.0)
    assert len(run.of(SlouchAlerted)) == 1


def test_a_delay_not_longer_than_the_dwell_starts_and_alerts_on_the_same_tick():
    run = Run(machine(delay_s=5, dwell_s=10.0))
    run.tick(20.0)
    run.hold(5.0 - TICK, 20.0)
    assert run.events == []
    new = run.tick(20.0)
    assert [type(e) for e in new] == [SlouchStarted, SlouchAlerted]


def test_reminders_owed_while_held_back_come_one_per_tick():
    run = Run(machine(renudge_s=60.0))
    run.tick(20.0)
    run.hold(2.0, 20.0)
    run.hold(200.0, 20.0, activity=TRANS)  # held back the whole time
    assert run.events == []
    run.hold(3.0 - TICK, 20.0)  # the quiet period after the transition
    assert run.events == []
    assert [type(e) for e in run.tick(20.0)] == [SlouchStarted, SlouchAlerted]
    assert [e.count for e in run.tick(20.0)] == [1]
    assert [e.count for e in run.tick(20.0)] == [2]
    assert run.tick(20.0) == [] and run.d.alerted


# -- forward: the hysteresis band and the clear hold -------------------------------------


def _slouching(settings: EngineSettings | None = None) -> Run:
    run = Run(settings)
    run.hold(6.0, 20.0)
    assert run.d.started
    return run


@pytest.mark.parametrize("flexion", [8.0, 10.0, 12.0])
def test_flexion_inside_the_hysteresis_band_never_ends_a_slouch(flexion):
    run = _slouching()
    run.hold(60.0, flexion)
    assert run.of(SlouchEnded) == [] and run.d.alerted


def test_below_the_band_the_slouch_ends_after_the_clear_hold_exactly():
    run = _slouching()
    run.tick(7.99)
    below = run.t
    run.hold(2.0 - TICK, 0.0)
    assert run.of(SlouchEnded) == [] and run.d.state is SlouchState.EPISODE
    [ended] = run.tick(0.0)
    assert ended.end_s == below and ended.t_s == pytest.approx(below + 2.0)
    assert run.d.state is SlouchState.UPRIGHT and run.d.onset_s is None and not run.d.started


def test_going_back_into_the_band_restarts_the_clear_hold():
    run = _slouching()
    run.hold(1.75, 0.0)
    run.tick(9.0)  # in the band: the clear hold starts again
    run.hold(1.75, 0.0)
    assert run.of(SlouchEnded) == []
    run.tick(13.0)
    run.hold(1.75, 0.0)
    assert run.of(SlouchEnded) == []
    run.hold(0.5, 0.0)
    assert len(run.of(SlouchEnded)) == 1


def test_the_episode_statistics_leave_the_clearing_ticks_out():
    run = Run()
    run.tick(20.0)
    run.tick(30.0)
    run.hold(4.5, 14.0)  # 18 ticks
    run.hold(20.0, 10.0)  # the band: counted
    run.hold(1.0, 7.0)  # clearing, not yet cleared: not counted
    run.hold(3.0, 0.0)
    [ended] = run.of(SlouchEnded)
    count = 2 + 18 + 80
    assert ended.peak_deg == 30.0
    assert ended.mean_deg == pytest.approx((20.0 + 30.0 + 18 * 14.0 + 80 * 10.0) / count)
    assert ended.alerted is False


def test_a_slouch_that_clears_before_the_dwell_is_no_episode():
    run = Run()
    run.hold(4.0, 20.0)
    run.hold(3.0, 0.0)
    assert run.events == [] and run.d.state is SlouchState.UPRIGHT
    run.tick(20.0)
    assert run.d.onset_s == run.t  # a new onset, not the old one


def test_an_episode_that_alerted_says_so_when_it_ends():
    run = _slouching()
    run.hold(30.0, 20.0)
    run.hold(3.0, 0.0)
    [ended] = run.of(SlouchEnded)
    assert ended.alerted is True


def test_backward_lean_never_counts():
    run = Run()
    run.hold(600.0, -40.0)
    assert run.events == []


# -- movement ---------------------------------------------------------------------------


def test_a_slouch_ended_by_walking_away():
    run = _slouching()
    run.tick(20.0, activity=WALK)
    walked = run.t
    run.hold(2.0 - TICK, 20.0, activity=WALK)
    assert run.of(SlouchEnded) == [] and run.d.started
    [ended] = run.tick(20.0, activity=WALK)
    assert ended.end_s == walked and ended.t_s == pytest.approx(walked + 2.0)
    assert run.d.state is SlouchState.UPRIGHT
    run.hold(30.0, 20.0, activity=WALK)  # walking on: no new onset, nothing more
    assert len(run.events) == 2 and run.d.onset_s is None


def test_walking_away_before_the_dwell_forgets_the_onset_without_an_episode():
    run = Run()
    run.hold(2.0, 20.0)
    run.hold(2.0, 20.0, activity=WALK)
    assert run.d.onset_s is not None  # 1.75 s of walking
    run.tick(20.0, activity=WALK)
    assert run.events == [] and run.d.onset_s is None


def test_walking_interrupted_starts_its_count_again():
    run = _slouching()
    run.hold(1.75, 20.0, activity=WALK)
    run.tick(20.0, activity=FIDGET)
    run.hold(1.75, 20.0, activity=WALK)
    assert run.of(SlouchEnded) == []
    run.hold(0.5, 20.0, activity=WALK)
    assert len(run.of(SlouchEnded)) == 1


def test_walking_away_also_forgets_a_side_lean():
    run = Run()
    run.hold(30.0, 0.0, 20.0)
    assert run.d.lean_state is LeanState.LEANING
    run.hold(0.5, 20.0)  # a slouch onset too
    run.hold(2.25, 0.0, 20.0, activity=WALK)
    assert run.d.lean_state is LeanState.CENTRED
    run.hold(59.5, 0.0, 20.0)
    assert run.of(LeanAlerted) == []  # the lean starts again from zero


def test_no_slouch_begins_while_walking_or_in_transition():
    for activity in (WALK, TRANS):
        run = Run()
        run.hold(60.0, 20.0, activity=activity)
        assert run.events == [] and run.d.onset_s is None


def test_fidgeting_does_not_hold_a_slouch_back():
    run = Run()
    run.hold(31.0, 20.0, activity=FIDGET)
    assert [type(e) for e in run.events] == [SlouchStarted, SlouchAlerted]


def test_a_slouch_cannot_begin_within_the_quiet_period_after_a_transition():
    run = Run()
    run.tick(0.0, activity=TRANS)
    moved = run.t
    run.hold(3.0 - TICK, 20.0)
    assert run.d.onset_s is None
    run.tick(20.0)
    assert run.d.onset_s == pytest.approx(moved + 3.0)


def test_the_quiet_period_follows_the_setting():
    run = Run(machine(transition_quiet_s=0.0))
    run.tick(0.0, activity=TRANS)
    run.tick(20.0)
    assert run.d.onset_s == run.t


def test_movement_during_a_slouch_holds_the_alert_back_not_the_onset():
    run = _slouching()
    run.hold(24.0 - 6.0, 20.0)
    run.hold(10.0, 20.0, activity=TRANS)
    assert run.of(SlouchAlerted) == []
    run.hold(3.0 - TICK, 20.0)
    assert run.of(SlouchAlerted) == []
    [alert] = run.tick(20.0)
    assert isinstance(alert, SlouchAlerted) and alert.onset_s == TICK


# -- end_now (a stretch begins, recalibration) --------------------------------------------


def test_end_now_closes_an_episode_when_a_stretch_starts():
    run = _slouching()
    run.hold(30.0, 20.0)
    [ended] = run.d.end_now(run.t)
    assert ended == SlouchEnded(run.t, TICK, run.t, 20.0, 20.0, True)
    assert run.d.state is SlouchState.UPRIGHT and run.d.held_s(run.t) == 0.0
    assert run.d.end_now(run.t) == []


def test_end_now_before_the_dwell_closes_nothing_but_forgets_the_onset():
    run = Run()
    run.hold(3.0, 20.0, 20.0)
    assert run.d.end_now(run.t) == []
    assert run.d.onset_s is None and run.d.lean_state is LeanState.CENTRED


def test_reset_forgets_everything_under_way():
    run = _slouching()
    run.hold(70.0, 20.0, 20.0)
    run.d.reset()
    assert (run.d.state, run.d.lean_state, run.d.onset_s) == (SlouchState.UPRIGHT, LeanState.CENTRED, None)
    assert not run.d.started and not run.d.alerted


# -- side lean -------------------------------------------------------------------------


@pytest.mark.parametrize(("lateral", "side"), [(12.0, "right"), (-12.0, "left"), (25.0, "right")])
def test_a_first_ever_side_lean_alerts_after_the_hold_exactly(lateral, side):
    run = Run()
    run.tick(0.0, lateral)
    onset = run.t
    assert run.d.lean_state is LeanState.LEANING
    run.hold(60.0 - TICK, 0.0, lateral)
    assert run.events == []
    [lean] = run.tick(0.0, lateral)
    assert lean.t_s == pytest.approx(onset + 60.0)
    assert lean.onset_s == onset and lean.side == side and lean.lateral_deg == lateral
    assert run.d.lean_state is LeanState.LEAN_ALERTED
    run.hold(600.0, 0.0, lateral)
    assert len(run.of(LeanAlerted)) == 1  # once per lean


def test_a_side_lean_just_inside_the_threshold_never_alerts():
    run = Run()
    run.hold(600.0, 0.0, 11.99)
    run.hold(600.0, 0.0, -11.99)
    assert run.events == [] and run.d.lean_state is LeanState.CENTRED


def test_the_side_lean_hold_follows_the_setting():
    run = Run(machine(lateral_hold_s=10.0))
    run.hold(10.0, 0.0, 15.0)
    assert run.of(LeanAlerted) == []
    run.tick(0.0, 15.0)
    assert len(run.of(LeanAlerted)) == 1


def _lean_alerted() -> Run:
    run = Run()
    run.hold(61.0, 0.0, 15.0)
    assert len(run.of(LeanAlerted)) == 1
    return run


@pytest.mark.parametrize("lateral", [8.0, 10.0, -8.0])
def test_a_side_lean_inside_its_hysteresis_band_stays_the_same_lean(lateral):
    run = _lean_alerted()
    run.hold(60.0, 0.0, lateral)
    run.hold(120.0, 0.0, 15.0)
    assert len(run.of(LeanAlerted)) == 1 and run.d.lean_state is LeanState.LEAN_ALERTED


def test_a_side_lean_clears_below_its_band_after_the_clear_hold_exactly():
    run = _lean_alerted()
    run.hold(2.0, 0.0, 7.99)
    assert run.d.lean_state is LeanState.LEAN_ALERTED
    run.tick(0.0, 7.99)
    assert run.d.lean_state is LeanState.CENTRED
    run.hold(60.25, 0.0, -15.0)
    assert [e.side for e in run.of(LeanAlerted)] == ["right", "left"]


def test_leaning_again_before_the_clear_hold_keeps_the_lean():
    run = _lean_alerted()
    run.hold(1.75, 0.0, 0.0)
    run.tick(0.0, 15.0)
    run.hold(1.75, 0.0, 0.0)
    assert run.d.lean_state is LeanState.LEAN_ALERTED
    run.tick(0.0, 15.0)
    run.hold(120.0, 0.0, 15.0)
    assert len(run.of(LeanAlerted)) == 1


def test_a_lean_that_clears_before_its_hold_never_alerts_and_starts_again():
    run = Run()
    run.hold(50.0, 0.0, 15.0)
    run.hold(2.25, 0.0, 0.0)
    assert run.d.lean_state is LeanState.CENTRED
    run.hold(50.0, 0.0, 15.0)
    assert run.of(LeanAlerted) == []


def test_no_side_lean_begins_while_moving():
    run = Run()
    run.hold(100.0, 0.0, 20.0, activity=TRANS)
    assert run.d.lean_state is LeanState.CENTRED and run.events == []
    run.hold(3.0 - TICK, 0.0, 20.0)
    assert run.d.lean_state is LeanState.CENTRED  # the quiet period
    run.tick(0.0, 20.0)
    assert run.d.lean_state is LeanState.LEANING


def test_a_side_lean_alert_is_held_back_while_moving():
    run = Run()
    run.hold(59.0, 0.0, 20.0)
    run.hold(5.0, 0.0, 20.0, activity=TRANS)
    run.hold(3.0 - TICK, 0.0, 20.0)
    assert run.of(LeanAlerted) == []
    [lean] = run.tick(0.0, 20.0)
    assert lean.onset_s == TICK


def test_flexion_combined_with_side_lean_alerts_the_slouch_not_the_lean():
    run = Run()
    run.hold(120.0, 20.0, 15.0)
    assert [type(e) for e in run.events] == [SlouchStarted, SlouchAlerted]
    assert run.of(LeanAlerted) == []
    run.hold(2.0, 0.0, 15.0)  # sits up, still leaning sideways
    assert run.of(SlouchEnded) == [] and run.of(LeanAlerted) == []
    run.tick(0.0, 15.0)  # the slouch ends: the lean, held all along, alerts on the same tick
    [ended] = run.of(SlouchEnded)
    [lean] = run.of(LeanAlerted)
    assert lean.t_s == ended.t_s and lean.onset_s == TICK  # the lean counted from its own start


def test_a_slouch_onset_before_the_dwell_also_holds_the_lean_alert_back():
    run = Run()
    run.hold(58.0, 0.0, 15.0)
    run.hold(4.0, 20.0, 15.0)
    assert run.of(LeanAlerted) == [] and run.d.state is SlouchState.ONSET
