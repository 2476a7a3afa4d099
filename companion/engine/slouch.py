"""The sustained-slouch state machine, on engine ticks (sample time).

A slouch begins when forward flexion passes the threshold (onset) and becomes an
episode once held for the dwell; the alert comes when it has been held for the
configured delay. It ends only when flexion stays ``hysteresis`` below the
threshold for ``clear_hold_s``, or when the wearer walks away. Backward lean never
counts. Movement (walking, standing up, reaching) holds alerts back, and a slouch
cannot begin within ``transition_quiet_s`` of a transition.

Two machines run side by side, each an explicit state with its transitions in one
place: :class:`SlouchState` for forward flexion, :class:`LeanState` for side
lean. Timers (when flexion dropped below the clear angle, when walking began) are
data of the state, not states: they only delay a transition.

Forward flexion::

    UPRIGHT --above threshold, not moving--> ONSET
    ONSET   --held start_after_s-----------> EPISODE   (SlouchStarted)
    EPISODE --held delay_s-----------------> ALERTED   (SlouchAlerted)
    ALERTED --held another renudge_s-------> ALERTED   (SlouchReminded)
    any     --below clear for clear_hold_s-> UPRIGHT   (SlouchEnded if EPISODE/ALERTED)
    any     --walking WALK_ENDS_EPISODE_S--> UPRIGHT   (SlouchEnded if EPISODE/ALERTED)

Side lean::

    CENTRED --beyond threshold, not moving--> LEANING
    LEANING --held lateral_hold_s, no slouch-> LEAN_ALERTED (LeanAlerted)
    LEANING/LEAN_ALERTED --inside threshold - LATERAL_HYSTERESIS_DEG
                           for clear_hold_s--> CENTRED
"""

from __future__ import annotations

import enum

from .activity import Activity
from .events import EngineEvent, LeanAlerted, SlouchAlerted, SlouchEnded, SlouchReminded, SlouchStarted
from .settings import EngineSettings

#: Walking this long (sample time) ends a slouch in progress: the wearer left.
WALK_ENDS_EPISODE_S = 2.0
#: A side lean clears only this far inside its threshold (as ``hysteresis_deg`` forward).
LATERAL_HYSTERESIS_DEG = 4.0


class SlouchState(enum.StrEnum):
    UPRIGHT = "upright"  # nothing under way
    ONSET = "onset"  # flexion above the threshold, not yet held for the dwell
    EPISODE = "episode"  # held for the dwell: a slouch episode, not yet alerted
    ALERTED = "alerted"  # held for the delay: alerted, reminded every renudge_s


class LeanState(enum.StrEnum):
    CENTRED = "centred"
    LEANING = "leaning"
    LEAN_ALERTED = "lean_alerted"


class _Band(enum.Enum):
    """Where flexion sits relative to the threshold and its hysteresis band."""

    ABOVE = enum.auto()  # beyond the threshold: slouching
    BAND = enum.auto()  # between clear and threshold: keeps whatever is under way
    BELOW = enum.auto()  # under the clear angle: clearing


# Plain names for the members: looking a member up on its enum class costs about
# 0.2 us, several times a tick.
_UPRIGHT, _ONSET, _EPISODE, _ALERTED = SlouchState
_CENTRED, _LEANING, _LEAN_ALERTED = LeanState
_ABOVE, _BAND, _BELOW = _Band
_STILL, _WALKING, _TRANSITION = Activity.STILL, Activity.WALKING, Activity.TRANSITION


class SlouchDetector:
    # The data of a state, set on entering it (``_begin``, ``_leaning``); these
    # defaults are never read before then.
    _reminders = 0
    _below_since: float | None = None
    _peak = 0.0
    _sum = 0.0
    _count = 0
    _lean_onset: float | None = None
    _lean_clear_since: float | None = None

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._quiet_until = float("-inf")
        self._walking_since: float | None = None
        self.reset()

    def reset(self) -> None:
        """Forget any slouch or lean in progress (recalibration, pause)."""
        self.state = _UPRIGHT
        self.onset_s: float | None = None
        self.lean_state = _CENTRED

    @property
    def started(self) -> bool:
        """An episode is under way (held for the dwell)."""
        return self.state in (_EPISODE, _ALERTED)

    @property
    def alerted(self) -> bool:
        return self.state is _ALERTED

    @property
    def idle(self) -> bool:
        """Nothing under way: a still tick inside both thresholds changes nothing."""
        return self.state is _UPRIGHT and self.lean_state is _CENTRED and self._walking_since is None

    def steady_limit(self, t_s: float) -> tuple[float, float] | None:
        """For an episode under way at ``t_s`` (no side lean, no walking, no quiet
        period): (onset, held) such that every tick before ``held`` seconds from
        onset that is not moving (still or fidgeting), above the threshold and inside
        the side-lean threshold only adds to the episode's statistics, as
        :meth:`hold_steady` does. None in any other state."""
        if self.lean_state is not _CENTRED or self._walking_since is not None or t_s < self._quiet_until:
            return None
        s = self.settings
        if self.state is _EPISODE:
            return self._onset(), s.delay_s
        if self.state is _ALERTED:
            return self._onset(), s.delay_s + (self._reminders + 1) * s.renudge_s
        return None

    def hold_steady(self, flexions_deg: list[float]) -> None:
        """What :meth:`update` does for ticks within :meth:`steady_limit`."""
        self._below_since = None
        peak, total = self._peak, self._sum
        for flexion in flexions_deg:
            peak = max(peak, flexion)
            total += flexion
        self._peak, self._sum = peak, total
        self._count += len(flexions_deg)

    def held_s(self, t_s: float) -> float:
        return 0.0 if self.onset_s is None else t_s - self.onset_s

    def end_now(self, t_s: float) -> list[EngineEvent]:
        """Close an episode in progress at ``t_s`` (for example when a stretch begins)."""
        events = self._end(t_s, t_s)
        self.reset()
        return events

    def update(self, t_s: float, flexion_deg: float, lateral_deg: float, activity: Activity) -> list[EngineEvent]:
        if self._idle(flexion_deg, lateral_deg, activity):
            return []  # sitting well, nothing under way: the common tick, nothing can change
        events = self._movement(t_s, activity)
        gated = activity is _WALKING or activity is _TRANSITION or t_s < self._quiet_until
        events += self._flexion(t_s, flexion_deg, gated)
        events += self._lean(t_s, lateral_deg, gated)
        return events

    # -- the common tick --------------------------------------------------------------

    def _idle(self, flexion_deg: float, lateral_deg: float, activity: Activity) -> bool:
        s = self.settings
        return (
            activity is _STILL
            and self.state is _UPRIGHT
            and self.lean_state is _CENTRED
            and self._walking_since is None
            and flexion_deg <= s.threshold_deg
            and -s.lateral_threshold_deg < lateral_deg < s.lateral_threshold_deg
        )

    # -- movement: the quiet period after a transition, walking away ----------------------

    def _movement(self, t_s: float, activity: Activity) -> list[EngineEvent]:
        if activity is _TRANSITION:
            self._quiet_until = t_s + self.settings.transition_quiet_s
        if activity is not _WALKING:
            self._walking_since = None
            return []
        if self._walking_since is None:
            self._walking_since = t_s
        if self.state is _UPRIGHT or t_s - self._walking_since < WALK_ENDS_EPISODE_S:
            return []
        events = self._end(t_s, self._walking_since)
        self.reset()
        return events

    # -- forward flexion ----------------------------------------------------------------

    def _band(self, flexion_deg: float) -> _Band:
        if flexion_deg > self.settings.threshold_deg:
            return _ABOVE
        if flexion_deg < self.settings.clear_deg:
            return _BELOW
        return _BAND

    def _flexion(self, t_s: float, flexion_deg: float, gated: bool) -> list[EngineEvent]:
        band = self._band(flexion_deg)
        if band is _BELOW:
            return self._clear(t_s)  # upright already: nothing to end
        self._below_since = None
        if self.state is _UPRIGHT:
            if band is _BAND or gated:
                return []
            self._begin(t_s, flexion_deg)
        return self._hold(t_s, flexion_deg, gated)

    def _begin(self, t_s: float, flexion_deg: float) -> None:
        self.state = _ONSET
        self.onset_s = t_s
        self._peak, self._sum, self._count = flexion_deg, 0.0, 0
        self._reminders = 0

    def _clear(self, t_s: float) -> list[EngineEvent]:
        """Flexion is under the clear angle: the slouch ends once it stays there for
        ``clear_hold_s``; until then the tick neither counts nor advances it."""
        if self._below_since is None:
            self._below_since = t_s
        if t_s - self._below_since < self.settings.clear_hold_s:
            return []
        events = self._end(t_s, self._below_since)
        self.state = _UPRIGHT
        self.onset_s = None
        return events

    def _hold(self, t_s: float, flexion_deg: float, gated: bool) -> list[EngineEvent]:
        """A tick with a slouch under way: the episode's statistics and its next step."""
        self._peak = max(self._peak, flexion_deg)
        self._sum += flexion_deg
        self._count += 1
        if gated:
            return []
        return self._advance(t_s, flexion_deg, t_s - self._onset())

    def _advance(self, t_s: float, flexion_deg: float, held: float) -> list[EngineEvent]:
        """The transition table of a held slouch. ONSET may reach ALERTED in one tick
        (when the delay is not longer than the dwell); reminders come one per tick."""
        s = self.settings
        onset = self._onset()
        events: list[EngineEvent] = []
        if self.state is _ONSET and held >= s.start_after_s:
            self.state = _EPISODE
            events.append(SlouchStarted(t_s, onset, flexion_deg))
        state = self.state
        if state is _EPISODE and held >= s.delay_s:
            self.state = _ALERTED
            events.append(SlouchAlerted(t_s, onset, flexion_deg))
        elif state is _ALERTED and held >= s.delay_s + (self._reminders + 1) * s.renudge_s:
            self._reminders += 1
            events.append(SlouchReminded(t_s, onset, flexion_deg, self._reminders))
        return events

    def _onset(self) -> float:
        assert self.onset_s is not None
        return self.onset_s

    def _end(self, t_s: float, end_s: float) -> list[EngineEvent]:
        """The SlouchEnded event for the state being left (none before the dwell)."""
        if not self.started:
            return []
        mean = self._sum / self._count  # an episode has held for at least one counted tick
        return [SlouchEnded(t_s, self._onset(), end_s, self._peak, mean, self.alerted)]

    # -- side lean ------------------------------------------------------------------------

    def _lean(self, t_s: float, lateral_deg: float, gated: bool) -> list[EngineEvent]:
        s = self.settings
        side = abs(lateral_deg)
        if side >= s.lateral_threshold_deg:
            return self._leaning(t_s, lateral_deg, gated)
        if side < s.lateral_threshold_deg - LATERAL_HYSTERESIS_DEG and self.lean_state is not _CENTRED:
            self._lean_clearing(t_s)
        return []

    def _leaning(self, t_s: float, lateral_deg: float, gated: bool) -> list[EngineEvent]:
        self._lean_clear_since = None
        if gated:
            return []
        if self.lean_state is _CENTRED:
            self.lean_state = _LEANING
            self._lean_onset = t_s
        if self.lean_state is _LEANING:
            return self._lean_alert(t_s, lateral_deg)
        return []  # alerted once already: once per lean

    def _lean_alert(self, t_s: float, lateral_deg: float) -> list[EngineEvent]:
        assert self._lean_onset is not None
        # A slouch alert outranks a side-lean alert: none while a slouch is under way.
        if self.state is not _UPRIGHT or t_s - self._lean_onset < self.settings.lateral_hold_s:
            return []
        self.lean_state = _LEAN_ALERTED
        return [LeanAlerted(t_s, self._lean_onset, lateral_deg)]

    def _lean_clearing(self, t_s: float) -> None:
        if self._lean_clear_since is None:
            self._lean_clear_since = t_s
        if t_s - self._lean_clear_since >= self.settings.clear_hold_s:
            self.lean_state = _CENTRED
