"""History: a day's timeline; charts of the score over the last 7 and 30 days and of
slouching by hour of day (Textual sparklines); the episode journal with notes,
stretches and the balance trend; days change with the arrow keys."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Sparkline, Static

from ..coach.habit import TRACKING, DayStatus, HabitStatus
from ..history import HistoryError, HistoryStore
from ..history.days import day_summaries, habit_from_store, slouch_by_hour
from ..history.records import Alert, BalanceCheck, Bin, Episode, Stretch
from ..plan_file import load_plan

STYLE = {"upright": "green", "slouched": "red", "moving": "blue", "away": "grey35"}
GLYPH = "█"


@dataclass
class DayView:
    day: date
    minutes: dict[int, str] = field(default_factory=dict)  # minute of day -> state
    episodes: list[tuple[int, Episode]] = field(default_factory=list)
    stretches: list[Stretch] = field(default_factory=list)
    balance: list[BalanceCheck] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    week_share: float | None = None
    month_share: float | None = None
    day_share: float | None = None
    habit: HabitStatus | None = None
    slouch_by_hour: list[float | None] = field(default_factory=lambda: [None] * 24)

    def last(self, count: int) -> tuple[DayStatus, ...]:
        return () if self.habit is None else self.habit.last(count)


def _start(day: date) -> float:
    return datetime.combine(day, time.min).timestamp()


def _minute_states(bins: list[Bin], day: date) -> dict[int, str]:
    """The state that filled most of each minute."""
    totals: dict[int, dict[str, float]] = {}
    base = _start(day)
    for b in bins:
        minute = int((b.start - base) // 60)
        slot = totals.setdefault(minute, {"upright": 0.0, "slouched": 0.0, "moving": 0.0, "away": 0.0})
        slot["upright"] += b.upright_s
        slot["slouched"] += b.slouched_s
        slot["moving"] += b.moving_s
        slot["away"] += b.away_s
    return {minute: max(slot, key=slot.__getitem__) for minute, slot in totals.items()}


def _share(store: HistoryStore, first: date, last: date) -> float | None:
    row = store.db.execute(
        "SELECT SUM(upright_s), SUM(slouched_s) FROM daily WHERE day >= ? AND day <= ?",
        (first.isoformat(), last.isoformat()),
    ).fetchone()
    upright, slouched = row[0] or 0.0, row[1] or 0.0
    return upright / (upright + slouched) if upright + slouched else None


def load_day(path: Path, day: date) -> DayView:
    store = HistoryStore(path, readonly=True, check=False)  # the writer checked it at start
    try:
        start, end = _start(day), _start(day + timedelta(days=1))
        view = DayView(day)
        view.minutes = _minute_states(store.bins(start, end), day)
        view.episodes = store.episodes(start, end)
        view.stretches = store.stretches(start, end)
        view.alerts = store.alerts(start, end)
        view.balance = store.balance_checks(_start(day - timedelta(days=60)), end)[-6:]
        view.day_share = _share(store, day, day)
        view.week_share = _share(store, day - timedelta(days=6), day)
        view.month_share = _share(store, day - timedelta(days=29), day)
        # The charts: the plan replayed up to this day, slouching by hour over 30 days.
        plan, _warning = load_plan()  # a bad plan file falls back to the built-in plan
        view.habit = habit_from_store(store, plan, day, TRACKING)
        view.slouch_by_hour = slouch_by_hour(day_summaries(store, day - timedelta(days=29), day))
        return view
    finally:
        store.close()


def episode_alert(view: DayView, episode: Episode) -> str:
    """ "yes" when the episode's slouch alert reached the wearer, "held back" when
    quiet mode, snooze, quiet hours or the alert budget kept it back."""
    if not episode.alerted:
        return ""
    inside = [a.delivered for a in view.alerts if a.kind == "slouch" and episode.start <= a.at <= episode.end + 1.0]
    return "yes" if any(inside) else "held back"


def timeline(view: DayView) -> Text:
    if not view.minutes:
        return Text("No posture data on this day.", style="dim")
    hours = sorted({minute // 60 for minute in view.minutes})
    text = Text()
    for hour in hours:
        text.append(f"{hour:02d} ", style="dim")
        for minute in range(60):
            state = view.minutes.get(hour * 60 + minute)
            text.append(GLYPH if state else "·", style=STYLE.get(state or "", "grey23"))
        text.append("\n")
    text.append("   ")
    for name, style in STYLE.items():
        text.append(GLYPH, style=style)
        text.append(f" {name}  ", style="dim")
    return text


HOUR_AXIS = "0     6     12    18   23"


def week_caption(week: tuple[DayStatus, ...]) -> Text:
    """Day initials over the score of each of the 7 bars (4 columns a day)."""
    text = Text()
    for day in week:
        text.append(f"{day.day:%a}"[:2] + "  ", style="dim")
    text.append("\n")
    for day in week:
        style = "bold" if day.goal_met else ""
        text.append(("-" if day.score is None else str(day.score)).ljust(4), style=style)
    return text


class NoteScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Label("Note for this episode (Enter saves, Esc cancels)", classes="panel-title")
            yield Input(value=self.current, max_length=200, id="note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class HistoryScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "day(-1)", "Previous day", priority=True),
        Binding("right", "day(1)", "Next day", priority=True),
        Binding("t", "today", "Today"),
        Binding("a", "annotate", "Note"),
        Binding("escape", "back", "Back"),
        # The side column (charts, stretches, balance) scrolls on its own while the
        # journal keeps the arrow keys: at 80x24 its lower parts are below the fold.
        Binding("pagedown", "side(1)", "Scroll the side column", show=False, priority=True),
        Binding("pageup", "side(-1)", "Scroll the side column back", show=False, priority=True),
        Binding("end", "side_end", "The side column's end", show=False, priority=True),
        Binding("home", "side_home", "The side column's top", show=False, priority=True),
    ]

    def action_side(self, pages: int) -> None:
        side = self.query_one("#history-side", VerticalScroll)
        if pages > 0:
            side.scroll_page_down(animate=False)
        else:
            side.scroll_page_up(animate=False)

    def action_side_end(self) -> None:
        self.query_one("#history-side", VerticalScroll).scroll_end(animate=False)

    def action_side_home(self) -> None:
        self.query_one("#history-side", VerticalScroll).scroll_home(animate=False)

    def __init__(self, path: Path, day: date | None = None) -> None:
        super().__init__()
        self.path = path
        self.day = day or date.today()
        self.view: DayView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="history-title", classes="panel-title")
        yield Static("Loading...", id="timeline")
        with Horizontal(id="history-lower"):
            with Vertical(id="journal-box"):
                yield Static("Slouch episodes (a: add a note)", classes="panel-title")
                table: DataTable = DataTable(cursor_type="row", id="journal")
                table.add_columns("Time", "Length", "Peak", "Mean", "Alerted", "Note")
                yield table
            with VerticalScroll(id="history-side"):
                yield Static("Score, last 7 days", classes="panel-title")
                yield Sparkline([], id="week-chart", classes="chart")
                yield Static("", id="week-values", classes="chart-caption")
                yield Static("Score, last 30 days", classes="panel-title")
                yield Sparkline([], id="month-chart", classes="chart")
                yield Static("Slouch by hour, 30 days", classes="panel-title")
                yield Sparkline([], id="hour-chart", classes="chart heat")
                yield Static(HOUR_AXIS, id="hour-axis", classes="chart-caption")
                yield Static("", id="shares")
                yield Static("Stretches", classes="panel-title")
                yield Static("", id="stretches")
                yield Static("Balance (rotation left / right)", classes="panel-title")
                yield Static("", id="balance")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, thread=True, group="history")
    def _load(self) -> None:
        try:
            view = load_day(self.path, self.day)
        except HistoryError as exc:
            self.app.call_from_thread(self._show_problem, str(exc))
            return
        except sqlite3.Error as exc:
            self.app.call_from_thread(self._show_problem, f"The history is busy or unreadable ({exc}); try again.")
            return
        self.app.call_from_thread(self._show, view)

    def _show_problem(self, message: str) -> None:
        self.query_one("#timeline", Static).update(Text(message))
        self.notify(escape(message), title="History", severity="warning")

    def _show(self, view: DayView) -> None:
        self.view = view
        label = "today" if view.day == date.today() else view.day.strftime("%A")
        self.query_one("#history-title", Static).update(f"{view.day.isoformat()} ({label})   ← → change day, t today")
        self.query_one("#timeline", Static).update(timeline(view))

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value:.0%}"

        posture_alerts = [a for a in view.alerts if a.kind != "break"]
        delivered = sum(a.delivered for a in posture_alerts)
        self._show_charts(view)
        self.query_one("#shares", Static).update(
            # Each line fits the side column at its narrowest (30 cells, 80 columns).
            f"Upright share\nday {pct(view.day_share)}, 7 d {pct(view.week_share)}, 30 d {pct(view.month_share)}\n"
            f"Alerts {delivered}, held back {len(posture_alerts) - delivered}"
        )
        table = self.query_one(DataTable)
        table.clear()
        for episode_id, ep in view.episodes:
            table.add_row(
                datetime.fromtimestamp(ep.start).strftime("%H:%M"),
                f"{(ep.end - ep.start) / 60:.1f} min",
                f"{ep.peak_deg:.0f}°",
                f"{ep.mean_deg:.0f}°",
                episode_alert(view, ep),
                ep.note,
                key=str(episode_id),
            )
        stretches = [
            f"{datetime.fromtimestamp(s.at):%H:%M} {s.kind.replace('_', ' ')} ({'measured' if s.completed_by == 'sensor' else 'by hand'})"
            for s in view.stretches
        ]
        self.query_one("#stretches", Static).update("\n".join(stretches) or "none")
        balance = [
            f"{datetime.fromtimestamp(b.at):%m-%d} {b.left_rotation_deg:3.0f}° / {b.right_rotation_deg:3.0f}°"
            f"  diff {b.left_rotation_deg - b.right_rotation_deg:+.0f}°"
            for b in view.balance
        ]
        self.query_one("#balance", Static).update("\n".join(balance) or "no checks yet")

    def _show_charts(self, view: DayView) -> None:
        week, month = view.last(7), view.last(30)
        self.query_one("#week-chart", Sparkline).data = [float(d.score or 0) for d in week]
        self.query_one("#week-values", Static).update(week_caption(week))
        self.query_one("#month-chart", Sparkline).data = [float(d.score or 0) for d in month]
        self.query_one("#hour-chart", Sparkline).data = [share or 0.0 for share in view.slouch_by_hour]

    def action_day(self, step: int) -> None:
        day = self.day + timedelta(days=step)
        if day > date.today():  # nothing is recorded tomorrow
            self.notify("That is today: there is no later day yet.")
            return
        self.day = day
        self._load()

    def action_today(self) -> None:
        self.day = date.today()
        self._load()

    def action_annotate(self) -> None:
        table = self.query_one(DataTable)
        if self.view is None or not self.view.episodes or table.cursor_row is None:
            self.notify("No episode selected.", severity="warning")
            return
        episode_id, episode = self.view.episodes[table.cursor_row]

        def save(note: str | None) -> None:
            if note is None:
                return
            try:
                store = HistoryStore(self.path)
                try:
                    store.set_note(episode_id, note)
                finally:
                    store.close()
            except (HistoryError, sqlite3.Error) as exc:
                self.notify(escape(f"Note not saved: {exc}"), severity="error")
                return
            self._load()

        self.app.push_screen(NoteScreen(episode.note), save)

    def action_back(self) -> None:
        self.dismiss()
