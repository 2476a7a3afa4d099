"""The live screen repaints what changed, and lays the screen out again only when a
panel's shape changes: a layout pass costs the whole screen, several times a second,
all day. Counted, not timed: speed goals live in ``python -m benchmarks``."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from test_ui import calibrate_demo_sensor, demo_app, slouching_demo, state_line, upright_demo, wait_for
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from companion.coach import DayTally
from companion.engine import BodyFrame, CalibrationCompleted, CalibrationProgress, EngineState, PostureSnapshot
from companion.engine.engine import Activity
from companion.ui.calibration_screen import CalibrationScreen
from companion.ui.live_screen import LiveScreen
from companion.ui.widgets import PostureFigure, TiltGauge, show_progress, show_text

PANELS = ("today", "state", "lateral", "goal", "connection")


class _OnePanel(App):
    CSS = """
    #panel { width: 30; height: auto; }
    #sized-by-text { width: auto; height: auto; }
    #scrolling { width: 30; height: auto; max-height: 6; overflow-y: auto; scrollbar-gutter: stable; }
    #framed { width: 34; height: auto; padding: 1 2; border: round white; }
    """

    def compose(self) -> ComposeResult:
        yield Static("tracked 01:56\nalerts 1", id="panel")
        yield Static("tracked 01:56\nalerts 1", id="sized-by-text")
        yield Static("tracked 01:56\nalerts 1", id="scrolling")
        yield Static("tracked 01:56\nalerts 1", id="framed")


@contextlib.asynccontextmanager
async def one_panel(panel_id: str, size: tuple[int, int] = (60, 20)):
    """The _OnePanel app running, with the panel ``panel_id`` laid out."""
    app = _OnePanel()
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(f"#{panel_id}", Static)
        await pilot.pause()
        yield pilot, panel


async def test_show_text_skips_the_same_text_and_lays_out_only_when_the_size_may_change(updates):
    async with one_panel("panel") as (pilot, panel):
        updates.clear()
        steps = [
            "tracked 01:56\nalerts 1",  # the same text: nothing
            "tracked 01:57\nalerts 1",  # the same shape: a repaint
            "tracked 01:58\nalerts 1",  # again (compared with the text now shown)
            "tracked 01:58\nalerts 1\nreconnected 1×",  # a line more
            "tracked 1h02\nalerts 10",  # a line fewer
            "tracked 1h02\nalerts 10 · slouches 4",  # a longer line, still fitting the width
            "reconnecting: no answer for 5 s\nloss 0.1%",  # longer than the 30 columns: wraps
            "reconnecting: no answer for 5 s\nloss 12.3% · bad frames 1000000",  # wraps onto a line more
            "reconnecting: no answer for 15 s\nloss 12.3% · bad frames 1000000",  # wrapped as high as before
            "no answer\nloss 12.3%",  # shorter: unwrapped, two lines fewer
        ]
        for text in steps:
            show_text(panel, text)
            await pilot.pause()
            assert panel.size.height == panel.get_content_height(panel.size, pilot.app.size, panel.size.width)
        assert [(content, layout) for _, layout, content in updates] == [
            (steps[1], False),
            (steps[2], False),
            (steps[3], True),
            (steps[4], True),
            (steps[5], False),
            (steps[6], True),
            (steps[7], True),
            (steps[8], False),
            (steps[9], True),
        ]
        assert panel.size.height == 2


@pytest.mark.parametrize("panel_id", ["panel", "sized-by-text", "scrolling", "framed"])
async def test_show_text_leaves_a_widget_the_size_a_full_layout_gives_it(panel_id):
    texts = [
        "tracked 01:57\nalerts 1",
        "tracked 1h02\nalerts 10 · slouches 4",
        "reconnecting: no answer for 5 s\nloss 0.1%",
        "reconnecting: no answer for 15 s\nloss 12.3% · bad frames 1000000",
        "one\ntwo\nthree\nfour\nfive\nsix\nseven",
        "one\ntwo",
        "a line long enough to wrap twice at thirty columns, and then some more",
        "short",
    ]
    async with one_panel(panel_id, (60, 30)) as (pilot, panel):
        for text in texts:
            show_text(panel, text)
            await pilot.pause()
            shown = panel.size
            panel.refresh(layout=True)
            await pilot.pause()
            assert panel.size == shown, (text, shown, panel.size)


async def test_show_text_lays_out_a_widget_as_wide_as_its_text_when_its_longest_line_changes(updates):
    async with one_panel("sized-by-text") as (pilot, panel):
        updates.clear()
        for text in ("tracked 01:57\nalerts 1", "tracked 1h02\nalerts 10 · slouches 4"):
            show_text(panel, text)
            await pilot.pause()
        assert [layout for _, layout, _ in updates] == [False, True]
        assert panel.size.width == len("alerts 10 · slouches 4")


@pytest.fixture
def updates(monkeypatch) -> list[list]:
    """[widget id, laid out, content] of every Static.update while the test runs, the
    update itself made; laid out when the update asks for a layout or the widget asks
    for one right after it."""
    seen: list[list] = []
    update, refresh = Static.update, Widget.refresh

    def recording(self, content="", *, layout=True):
        seen.append([self.id, layout, content])
        update(self, content, layout=layout)

    def asking(self, *regions, layout=False, **kwargs):
        if layout and isinstance(self, Static) and seen and seen[-1][0] == self.id:
            seen[-1][1] = True
        return refresh(self, *regions, layout=layout, **kwargs)

    monkeypatch.setattr(Static, "update", recording)
    monkeypatch.setattr(Widget, "refresh", asking)
    return seen


def test_a_steady_wearer_repaints_the_panels_without_laying_the_screen_out(virtual_time, monkeypatch, updates):
    drawings: list[str | None] = []
    refresh = Widget.refresh

    def counting(self, *args, **kwargs):
        if isinstance(self, PostureFigure | TiltGauge):
            drawings.append(self.id)
        return refresh(self, *args, **kwargs)

    monkeypatch.setattr(Widget, "refresh", counting)
    snapshots: list[float] = []

    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: state_line(app) == "upright")
            await asyncio.sleep(2)
            updates.clear()
            drawings.clear()
            show = app.live.show_snapshot
            app.live.show_snapshot = lambda snapshot, *rest: (snapshots.append(snapshot.t_s), show(snapshot, *rest))
            await asyncio.sleep(30)

    virtual_time(scenario())
    painted = [panel for panel, _, _ in updates if panel in PANELS]
    laid_out = [panel for panel, layout, _ in updates if panel in PANELS and layout]
    # The tracked time moves on every second; its panel is painted once a second,
    # not at each of its timers' own moments (57-59 times in 30 s before).
    assert 25 <= painted.count("today") <= 32, painted.count("today")
    assert len(laid_out) <= 2, laid_out
    # The figure and the gauge move when their picture does, not with every
    # snapshot's sensor noise.
    assert len(snapshots) >= 100
    assert len(drawings) < len(snapshots) / 4, (len(drawings), len(snapshots))


def test_the_days_counts_show_at_once_not_at_the_next_second(virtual_time, updates):
    """The day's panel waits for the second's chart point, but a new alert or episode
    shows with the snapshot that brings it."""

    async def scenario():
        async with slouching_demo() as (app, _pilot):
            shown: list[tuple[int, str]] = []
            show = app.live.show_snapshot

            def watching(snapshot, tally, *rest):
                show(snapshot, tally, *rest)
                shown.append((tally.alerts, str(app.live.query_one("#today").render())))

            app.live.show_snapshot = watching
            await wait_for(lambda: app.session.tally.alerts == 1, timeout_s=25)
            first = next(text for alerts, text in shown if alerts == 1)
            assert [line.split()[-1] for line in first.splitlines() if line.startswith("alerts")] == ["1"]

    virtual_time(scenario())


def test_the_calibration_screen_lays_out_when_its_step_changes_not_with_every_snapshot(virtual_time, updates):
    async def scenario():
        app = demo_app()  # not calibrated: the calibration opens by itself
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: isinstance(app.screen, CalibrationScreen), timeout_s=5)
            updates.clear()
            await asyncio.sleep(6)  # the upright step: ~60 snapshots
            assert isinstance(app.screen, CalibrationScreen)

    virtual_time(scenario())
    laid_out = [widget for widget, layout, _ in updates if widget in ("step", "feedback") and layout]
    assert len(laid_out) <= 2, laid_out
    # ...while it goes on showing the hold counting down.
    countdown = {content for widget, _, content in updates if widget == "feedback"}
    assert len({text for text in countdown if str(text).startswith("Holding...")}) >= 2, countdown


def test_the_calibration_screen_takes_updates_while_its_widgets_are_being_removed(virtual_time):
    """As the app shuts down it removes a screen's widgets while snapshots and events
    still come: they are skipped, never an exception (NoMatches) on the way out, and a
    completed calibration still closes the screen."""

    async def scenario():
        app = demo_app()
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: isinstance(app.screen, CalibrationScreen), timeout_s=5)
            screen = app.screen
            await screen.query("*").remove()
            screen.show_status(("upright", 1.0, 4.0))
            screen.show_event(CalibrationProgress(1.0, "lean", "Now lean forward"))
            screen.show_event(CalibrationCompleted(2.0, BodyFrame.from_dict({"up": [0, 0, 1], "forward": [1, 0, 0]})))
            await wait_for(lambda: not isinstance(app.screen, CalibrationScreen), timeout_s=5)

    virtual_time(scenario())


def test_progress_moves_in_whole_percent_rounded_as_its_label_reads():
    bar = ProgressBar(total=100)
    for share, shown in ((0.29, 29), (0.994, 99), (0.996, 100), (-0.1, 0), (1.5, 100)):
        show_progress(bar, share)
        assert bar.progress == shown, share  # 100 * 0.29 is 28.999...: not 28


async def test_the_gauge_knows_its_picture_without_drawing_it():
    """The gauge compares a key (the marker's column, the width and the bands) instead
    of drawing itself on every snapshot: the same key must mean the same picture."""

    class _Gauge(App):
        CSS = "TiltGauge { width: 47; height: 3; }"

        def compose(self) -> ComposeResult:
            yield TiltGauge()

    app = _Gauge()
    async with app.run_test(size=(60, 8)):
        gauge = app.query_one(TiltGauge)
        pictures: dict[object, str] = {}
        for tenth in range(-300, 500, 3):
            gauge.flexion_deg = None if tenth == -300 else tenth / 10
            for threshold, clear in ((12.0, 8.0), (20.0, 14.0)):
                gauge.threshold_deg, gauge.clear_deg = threshold, clear
                key, picture = gauge.picture_key(), gauge.draw()
                assert pictures.setdefault(key, picture.markup) == picture.markup, key
        assert len(pictures) > 2 * 45  # the marker moves: one key per column and band


def test_a_snapshot_arriving_while_the_app_closes_is_not_painted(virtual_time):
    """Closing, Textual removes the live screen's widgets (pruning) while the link's
    last messages still arrive: painting one raised NoMatches out of the app."""

    async def scenario():
        calibrate_demo_sensor()
        app = demo_app()
        async with app.run_test(size=(100, 30)):
            await wait_for(lambda: state_line(app) == "upright")
            snapshot = app.live.snapshot
            for node in app.live.walk_children(with_self=True):
                node._pruning = True  # what App._prune marks before removing them
            await app.live.query_one("#flexion").remove()
            app.live.show_snapshot(snapshot, app.session.tally)
            for node in app.live.walk_children(with_self=True):
                node._pruning = False
            app.exit()

    virtual_time(scenario())


def test_the_live_screen_paints_nothing_behind_an_opaque_screen_and_the_latest_when_back(virtual_time, updates):
    """A stretch or the calibration is open for tens of seconds and hides the whole
    live screen: painting behind it repaints the screen on top for nothing. A
    see-through dialog (the help) leaves the live screen in view, still moving."""
    from companion.ui.help_screen import HelpScreen
    from companion.ui.stretch_screen import StretchScreen

    async def scenario():
        async with upright_demo() as (app, pilot):
            await pilot.press("question_mark")
            await wait_for(lambda: isinstance(app.screen, HelpScreen))
            updates.clear()
            await asyncio.sleep(3)
            assert "today" in [widget for widget, _, _ in updates]  # in view behind the help
            await pilot.press("escape", "s", "r")  # the wearer slouches behind the stretch list
            await wait_for(lambda: isinstance(app.screen, StretchScreen))
            await pilot.pause()
            updates.clear()
            before = app.live.snapshot.t_s
            await asyncio.sleep(10)
            assert app.live.snapshot.t_s > before + 9  # it was given every snapshot
            assert [widget for widget, _, _ in updates if widget in PANELS] == []
            await pilot.press("escape")
            await pilot.pause()
            assert state_line(app).startswith(("slouching", "alerted")), state_line(app)
            assert {"today", "state"} <= {widget for widget, _, _ in updates}

    virtual_time(scenario())


class _Covered(App):
    """The live screen alone, to push an opaque screen over it."""

    def __init__(self) -> None:
        super().__init__()
        self.live = LiveScreen()

    async def on_mount(self) -> None:
        await self.push_screen(self.live)


class _Opaque(Screen):
    def compose(self) -> ComposeResult:
        yield Static("on top")


async def test_stored_minutes_show_on_the_chart_before_the_sensor_streams():
    """An app started with the sensor off shows what the history holds, not "no
    posture data"; the first snapshot then places the chart at its own time."""
    from companion.ui.widgets import FlexionChart

    app = _Covered()
    now = 1_000_000.0
    app.live.seed_chart([(now - 120 + s, 18.0) for s in range(30)], now)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chart = app.live.query_one(FlexionChart)
        assert len(chart.points) == 30 and chart.now_s == now
        assert "no posture data" not in str(chart.render())


async def test_the_days_panel_shows_the_latest_tally_once_the_live_screen_is_back_in_view():
    """Each tally is a new object (as a viewer of the tracker gets them): the one
    given behind the opaque screen is the one shown once it is gone."""
    app = _Covered()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.live.show_snapshot(_upright(10.0), DayTally(tracked_s=10, upright_s=10))
        await pilot.pause()
        assert "tracked        00:10" in str(app.live.query_one("#today").render())
        await app.push_screen(_Opaque())
        await pilot.pause()
        app.live.show_snapshot(_upright(100.0), DayTally(tracked_s=100, upright_s=100))
        await pilot.pause()
        await app.pop_screen()
        await pilot.pause()
        assert "tracked        01:40" in str(app.live.query_one("#today").render())


def _upright(t_s: float) -> PostureSnapshot:
    return PostureSnapshot(t_s, 5.0, 0.0, Activity.STILL, EngineState.UPRIGHT, 0.0, 30.0)
