"""The live screen: posture now, the last ten minutes, today, the connection."""

from __future__ import annotations

from collections import deque

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Footer, Header, ProgressBar, Static

from ..coach import DayTally
from ..coach.habit import HabitStatus
from ..engine import EngineSettings, EngineState, PostureSnapshot
from ..link import LinkState, LinkStats
from .widgets import FlexionChart, PostureFigure, TiltGauge, format_duration, show_progress, show_text, state_text

CHART_POINTS = 600  # one per second: ten minutes
COMPACT_BELOW_ROWS = 30  # smaller terminals get the compact layout (80x24 fits)
# No posture to plot: the calibration lean, a stretch, walking and standing up are
# not slouching.
CALIBRATION_RETURN_S = 10.0  # longest wait for the wearer to sit up after calibrating
NOT_POSTURE = (EngineState.CALIBRATING, EngineState.UNCALIBRATED, EngineState.PAUSED, EngineState.MOVING)


class LiveScreen(Screen):
    """Shows what the app knows; the app pushes updates in with the ``show_*`` methods.

    Updates may come at any time: before the screen is composed, or while another
    screen is on top. Each ``show_*`` keeps what it was given and paints it only
    once the widgets exist and can be seen; mounting, and coming back into view
    from behind an opaque screen, paint the latest of everything.
    """

    def __init__(self) -> None:
        super().__init__()
        self._chart: deque[tuple[float, float]] = deque(maxlen=CHART_POINTS)
        self._last_chart_s: float | None = None
        self._today_counts: tuple[int, int, int, int] | None = None  # as last painted
        self.snapshot: PostureSnapshot | None = None
        self.linked = False
        # From a calibration until the wearer is back upright out of its forward
        # lean: that lean is the calibration, not posture.
        self._calibration_lean_until_s: float | None = None
        defaults = EngineSettings()  # until the session says the wearer's own
        self._threshold_deg = defaults.threshold_deg
        self._clear_deg = defaults.clear_deg
        self._painted = False
        self._hidden = False  # behind an opaque screen when last asked
        # The latest call of each show_* method, painted at mount.
        self._latest: dict[str, tuple] = {}
        self._habit: HabitStatus | None = None
        self._worn_today_s = 0.0

    def _paints_now(self, name: str, *args: object) -> bool:
        """Keep the latest call of ``name``; whether the widgets exist to paint it now."""
        self._latest[name] = args
        return self._paintable()

    def _paintable(self) -> bool:
        """The widgets are there (mounted, and not being removed: an app closing
        still takes the link's last messages after its screens begin to go) and can
        be seen. An opaque screen on top (the calibration and the stretches, open
        for tens of seconds) hides all of this one, and what it would paint behind
        them costs a repaint of the screen on top for nothing."""
        if not (self._painted and self.display):
            return False
        self._follow_view()
        return not self._hidden

    def _follow_view(self) -> None:
        """Note whether an opaque screen hides this one; back in view (resumed, or
        found so at the next update), paint the latest of everything."""
        hidden = self._behind_an_opaque_screen()
        if self._hidden and not hidden:
            self._hidden = False
            self._paint_latest()
        self._hidden = hidden

    def _behind_an_opaque_screen(self) -> bool:
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return any(screen.styles.background.a == 1 for screen in stack[stack.index(self) + 1 :])

    def _paint_latest(self) -> None:
        """Paint the latest call of each ``show_*`` (a snapshot's with its chart)."""
        self.set_thresholds(self._threshold_deg, self._clear_deg)
        # Each call read as it is painted: painting a snapshot gives the day's panel
        # a newer tally than the one kept before.
        for name in list(self._latest):
            getattr(self, f"_paint_{name}")(*self._latest[name])

    def on_screen_resume(self) -> None:
        if self._painted:
            self._follow_view()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="posture"):
                with Horizontal(id="now"):
                    with Vertical(id="number"):
                        yield Digits("--", id="flexion")
                        yield Static("forward flexion (deg)", id="flexion-label", classes="caption")
                        yield Static("side lean: --", id="lateral")
                    yield PostureFigure(id="figure")
                yield TiltGauge(id="gauge")
                yield Static("", id="notice")
                yield Static("waiting for the sensor", id="state", classes="away")
                yield Static("Last 10 minutes (forward flexion, 0-40°)", classes="caption")
                yield FlexionChart(id="chart")
            with Vertical(id="side"):
                yield Static("Sensor", id="connection-title", classes="panel-title")
                yield Static("not connected", id="connection")
                yield Static("Today", classes="panel-title")
                yield Static("", id="goal")
                yield ProgressBar(total=100, show_eta=False, id="goal-bar")
                yield Static("no data yet", id="today")
                yield Static("", id="nudge-status", classes="caption")
                yield Static("Demo wearer", id="demo-title", classes="panel-title")
                yield Static("", id="demo-keys")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#demo-title").display = False
        self.query_one("#nudge-status").display = False
        self.query_one("#notice").display = False
        self.query_one("#goal").display = False
        self.query_one("#goal-bar").display = False
        self._fit(self.size.height)
        self._painted = True
        self._paint_latest()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, rows: int) -> None:
        self.set_class(0 < rows < COMPACT_BELOW_ROWS, "compact")

    def set_thresholds(self, threshold_deg: float, clear_deg: float) -> None:
        self._threshold_deg, self._clear_deg = threshold_deg, clear_deg
        if not self._paintable():
            return
        gauge = self.query_one(TiltGauge)
        gauge.threshold_deg = threshold_deg
        gauge.clear_deg = clear_deg
        self.query_one(PostureFigure).threshold_deg = threshold_deg

    def seed_chart(self, points: list[tuple[float, float]], now_s: float) -> None:
        """Earlier points (wall-clock s, flexion), oldest first, ahead of the live
        ones: what an earlier run stored for the last minutes. Shown at once, before
        the sensor streams (``now_s``: the wall clock)."""
        live = [p for p in self._chart if not points or p[0] > points[-1][0]]
        self._chart.clear()
        self._chart.extend([*points, *live])
        if self._paints_now("chart", now_s):
            self._paint_chart(now_s)

    def _paint_chart(self, now_s: float) -> None:
        if "snapshot" not in self._latest:  # a snapshot paints the chart with its own time
            self.query_one(FlexionChart).show(list(self._chart), now_s, self._threshold_deg)

    def show_snapshot(self, snapshot: PostureSnapshot, tally: DayTally, at_s: float | None = None) -> None:
        """``at_s``: the snapshot's wall-clock time (Unix s), which places it on the
        chart; sample time stands in when it is not known."""
        self.snapshot = snapshot
        # The chart keeps one point a second whether or not it is on screen.
        at = snapshot.t_s if at_s is None else at_s
        new_point = self._last_chart_s is None or at - self._last_chart_s >= 1.0 or at < self._last_chart_s
        if new_point:
            self._last_chart_s = at
            if self._plots(snapshot, at):
                self._chart.append((at, max(0.0, snapshot.flexion_deg or 0.0)))
        if self._paints_now("snapshot", snapshot, tally, at, True):
            self._paint_snapshot(snapshot, tally, at, new_point)

    def _paint_snapshot(self, snapshot: PostureSnapshot, tally: DayTally, at: float, chart: bool) -> None:
        flexion = snapshot.flexion_deg
        # round() + 0.0: a flexion of -0.3 deg reads 0, never "-0".
        digits = self.query_one("#flexion", Digits)
        number = "--" if flexion is None else f"{round(flexion) + 0.0:.0f}°"
        if digits.value != number:
            digits.update(number)
        lateral = snapshot.lateral_deg
        side = "" if lateral is None or abs(lateral) < 1 else (" right" if lateral > 0 else " left")
        show_text(
            self.query_one("#lateral", Static),
            "side lean: --" if lateral is None else f"side lean: {abs(lateral):.0f}°{side}",
        )
        self.query_one(PostureFigure).flexion_deg = flexion
        self.query_one(TiltGauge).flexion_deg = flexion
        self._show_state()
        if chart:
            self.query_one(FlexionChart).show(list(self._chart), at, self._threshold_deg)
        # The day's panel moves once a second, with the chart (its timers and shares
        # would each repaint the screen at their own moment within the second), and
        # at once when a count changes.
        counts = (tally.episodes, tally.alerts, tally.alerts_held_back, tally.lean_alerts)
        if chart or counts != self._today_counts:
            self._today_counts = counts
            self.show_today(tally, snapshot.t_s)

    def _plots(self, snapshot: PostureSnapshot, at_s: float) -> bool:
        """Whether this snapshot is posture to plot."""
        if snapshot.state is EngineState.CALIBRATING:
            self._calibration_lean_until_s = at_s + CALIBRATION_RETURN_S
            return False
        if snapshot.flexion_deg is None or snapshot.state in NOT_POSTURE:
            return False
        if self._calibration_lean_until_s is not None:
            back_upright = snapshot.flexion_deg < self._clear_deg
            if not back_upright and at_s < self._calibration_lean_until_s:
                return False
            self._calibration_lean_until_s = None
        return True

    def _show_state(self) -> None:
        if not self._paintable():
            return
        text, style = state_text(self.snapshot, self.linked)
        widget = self.query_one("#state", Static)
        show_text(widget, text)
        widget.set_classes(style)

    def show_today(self, tally: DayTally, now_s: float | None = None) -> None:
        """``now_s``: sample time, for the sitting timer (none before the first reading)."""
        if self._paints_now("today", tally, now_s):
            self._paint_today(tally, now_s)

    def show_habit(self, habit: HabitStatus | None) -> None:
        """The plan's goal, score and streak as the history holds them; today's wear
        then grows with the tally between two reads of the history."""
        if self._paints_now("habit", habit):
            self._paint_habit(habit)

    def _paint_habit(self, habit: HabitStatus | None) -> None:
        self._habit = habit
        self._paint_goal()

    def _paint_goal(self) -> None:
        habit = self._habit
        goal = self.query_one("#goal", Static)
        bar = self.query_one("#goal-bar", ProgressBar)
        bar.display = goal.display = habit is not None
        if habit is None:
            show_text(goal, "")
            return
        worn_s = max(self._worn_today_s, habit.worn_today_s)
        met = worn_s >= habit.goal_s
        streak = habit.streak_days + (1 if met and not habit.goal_met_today else 0)
        score = "" if habit.score_today is None else f" · score {habit.score_today}"
        show_text(
            goal,
            f"goal {int(worn_s // 60)}/{int(habit.goal_s // 60)} min{' met' if met else ''}\nstreak {streak} d{score}",
        )
        show_progress(bar, worn_s / habit.goal_s if habit.goal_s else 1.0)

    def _paint_today(self, tally: DayTally, now_s: float | None) -> None:
        self._worn_today_s = tally.tracked_s
        if self._habit is not None:
            self._paint_goal()
        since_break = 0.0 if now_s is None else tally.sitting_for_s(now_s)
        show_text(
            self.query_one("#today", Static),
            f"upright        {tally.upright_share:>5.0%}\n"
            f"slouch episodes {tally.episodes:>4}\n"
            f"{f'alerts ({tally.alerts_held_back} held)' if tally.alerts_held_back else 'alerts':<16}{tally.alerts:>4}\n"
            f"side leans      {tally.lean_alerts:>4}\n"
            f"sitting for   {format_duration(since_break):>6}\n"
            f"tracked       {format_duration(tally.tracked_s):>6}",
        )

    def show_link(self, state: LinkState, detail: str, sensor: dict[str, object], stats: LinkStats) -> None:
        self.linked = state is LinkState.STREAMING
        if self._paints_now("link", state, detail, dict(sensor), stats):
            self._paint_link(state, detail, sensor, stats)

    def _paint_link(self, state: LinkState, detail: str, sensor: dict[str, object], stats: LinkStats) -> None:
        battery = sensor.get("battery")
        rate = sensor.get("rate_hz")
        # Reconnects share the state's line: a line more would push the panels below
        # off the side column at 80x24.
        streaming = state is LinkState.STREAMING and not detail
        reconnects = f" · reconnected {stats.reconnects}×" if stats.reconnects and streaming else ""
        lines = [
            f"{sensor.get('name', '?')} · {sensor.get('kind', '?')}",
            f"{state.value}{': ' + detail if detail else ''}{reconnects}",
            f"battery {'?' if battery is None else f'{battery} %'} · {'?' if rate is None else f'{rate:g} Hz'}",
            f"loss {stats.loss_ratio:.1%} · bad frames {stats.malformed}",
        ]
        widget = self.query_one("#connection", Static)
        show_text(widget, "\n".join(lines))
        widget.set_classes("streaming" if self.linked else "reconnecting")
        self._show_state()

    def show_demo_keys(self, text: str) -> None:
        if self._paints_now("demo_keys", text):
            self._paint_demo_keys(text)

    def _paint_demo_keys(self, text: str) -> None:
        self.query_one("#demo-title").display = bool(text)
        show_text(self.query_one("#demo-keys", Static), text)

    def show_notice(self, text: str) -> None:
        """A standing line above the state (no Bluetooth, ...); empty hides it."""
        if self._paints_now("notice", text):
            self._paint_notice(text)

    def _paint_notice(self, text: str) -> None:
        notice = self.query_one("#notice", Static)
        show_text(notice, text)
        notice.display = bool(text)

    def show_nudge_status(self, text: str) -> None:
        if self._paints_now("nudge_status", text):
            self._paint_nudge_status(text)

    def _paint_nudge_status(self, text: str) -> None:
        status = self.query_one("#nudge-status", Static)
        show_text(status, text)
        status.display = bool(text)  # no blank row in the side panel while nudges are on
