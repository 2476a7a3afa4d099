"""The live screen: posture now, the last ten minutes, today, the connection."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Footer, Header, Static

from ..coach import DayTally
from ..engine import PostureSnapshot
from ..link import LinkState, LinkStats
from .widgets import FlexionChart, PostureFigure, TiltGauge, format_duration, state_text

CHART_POINTS = 600  # one per second: ten minutes


class LiveScreen(Screen):
    """Shows what the app knows; the app pushes updates in with the ``show_*`` methods.

    Updates may come at any time: before the screen is composed, or while another
    screen is on top. Each ``show_*`` keeps what it was given and paints it only
    once the widgets exist; mounting paints the latest of everything.
    """

    def __init__(self) -> None:
        super().__init__()
        self._chart: deque[float] = deque(maxlen=CHART_POINTS)
        self._last_chart_s: float | None = None
        self.snapshot: PostureSnapshot | None = None
        self.linked = False
        self._painted = False
        self._thresholds: tuple[float, float] | None = None
        self._tally: DayTally | None = None
        self._link: tuple[LinkState, str, dict[str, object], LinkStats] | None = None
        self._demo_keys = ""
        self._nudge_status = ""

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
                yield Static("waiting for the sensor", id="state", classes="away")
                yield Static("Last 10 minutes (forward flexion, 0-40°)", classes="caption")
                yield FlexionChart(id="chart")
                yield Static("", id="demo-keys", classes="caption")
            with Vertical(id="side"):
                yield Static("Sensor", classes="panel-title")
                yield Static("not connected", id="connection")
                yield Static("Today", classes="panel-title")
                yield Static("no data yet", id="today")
                yield Static("", id="nudge-status", classes="caption")
        yield Footer()

    def on_mount(self) -> None:
        self._painted = True
        if self._thresholds is not None:
            self.set_thresholds(*self._thresholds)
        if self._link is not None:
            self.show_link(*self._link)
        if self.snapshot is not None and self._tally is not None:
            self._paint_snapshot(self.snapshot, self._tally)
        self.show_demo_keys(self._demo_keys)
        self.show_nudge_status(self._nudge_status)

    def set_thresholds(self, threshold_deg: float, clear_deg: float) -> None:
        self._thresholds = (threshold_deg, clear_deg)
        if not self._painted:
            return
        gauge = self.query_one(TiltGauge)
        gauge.threshold_deg = threshold_deg
        gauge.clear_deg = clear_deg
        self.query_one(PostureFigure).threshold_deg = threshold_deg

    def show_snapshot(self, snapshot: PostureSnapshot, tally: DayTally) -> None:
        self.snapshot, self._tally = snapshot, tally
        # The chart keeps one point a second whether or not it is on screen.
        new_point = snapshot.flexion_deg is not None and (
            self._last_chart_s is None or snapshot.t_s - self._last_chart_s >= 1.0
        )
        if new_point:
            self._last_chart_s = snapshot.t_s
            self._chart.append(max(0.0, snapshot.flexion_deg))
        if self._painted:
            self._paint_snapshot(snapshot, tally, chart=new_point)

    def _paint_snapshot(self, snapshot: PostureSnapshot, tally: DayTally, chart: bool = True) -> None:
        flexion = snapshot.flexion_deg
        self.query_one("#flexion", Digits).update("--" if flexion is None else f"{flexion:.0f}°")
        lateral = snapshot.lateral_deg
        side = "" if lateral is None or abs(lateral) < 1 else (" right" if lateral > 0 else " left")
        self.query_one("#lateral", Static).update(
            "side lean: --" if lateral is None else f"side lean: {abs(lateral):.0f}°{side}"
        )
        self.query_one(PostureFigure).flexion_deg = flexion
        self.query_one(TiltGauge).flexion_deg = flexion
        self._show_state()
        if chart and self._chart:
            self.query_one(FlexionChart).show(list(self._chart), self.query_one(TiltGauge).threshold_deg)
        self._show_today(snapshot, tally)

    def _show_state(self) -> None:
        text, style = state_text(self.snapshot, self.linked)
        widget = self.query_one("#state", Static)
        widget.update(text)
        widget.set_classes(style)

    def _show_today(self, snapshot: PostureSnapshot, tally: DayTally) -> None:
        since_break = tally.sitting_for_s(snapshot.t_s)
        self.query_one("#today", Static).update(
            f"upright        {tally.upright_share:>5.0%}\n"
            f"slouch episodes {tally.episodes:>4}\n"
            f"alerts          {tally.alerts:>4}\n"
            f"side leans      {tally.lean_alerts:>4}\n"
            f"sitting for   {format_duration(since_break):>6}\n"
            f"tracked       {format_duration(tally.tracked_s):>6}"
        )

    def show_link(self, state: LinkState, detail: str, sensor: dict[str, object], stats: LinkStats) -> None:
        self.linked = state is LinkState.STREAMING
        self._link = (state, detail, dict(sensor), stats)
        if not self._painted:
            return
        battery = sensor.get("battery")
        rate = sensor.get("rate_hz")
        lines = [
            f"{sensor.get('name', '?')} · {sensor.get('kind', '?')}",
            f"{state.value}{': ' + detail if detail else ''}",
            f"battery {'?' if battery is None else f'{battery} %'} · {'?' if rate is None else f'{rate:g} Hz'}",
            f"loss {stats.loss_ratio:.1%} · bad frames {stats.malformed}",
        ]
        if stats.reconnects:
            lines.append(f"reconnected {stats.reconnects}×")
        widget = self.query_one("#connection", Static)
        widget.update("\n".join(lines))
        widget.set_classes("streaming" if self.linked else "reconnecting")
        self._show_state()

    def show_demo_keys(self, text: str) -> None:
        self._demo_keys = text
        if self._painted:
            self.query_one("#demo-keys", Static).update(text)

    def show_nudge_status(self, text: str) -> None:
        self._nudge_status = text
        if self._painted:
            self.query_one("#nudge-status", Static).update(text)
