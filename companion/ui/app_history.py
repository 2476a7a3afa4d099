"""The app's history: today's numbers and the plan's status from it, the writer's
problems on screen. Part of :class:`companion.ui.app.PostureApp`."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import work

from ..coach import DayTally
from ..history.today import habit_today, recent_flexion, today_from_history
from ..live import LiveSession
from ..plan_file import load_plan
from .widgets import FlexionChart

if TYPE_CHECKING:  # the state the app holds, declared for this part (app_state.py)
    from .app_state import AppState as _AppState
else:
    _AppState = object


class HistoryMixin(_AppState):
    """What the app reads from and writes to the history (mixed into PostureApp)."""

    def _today_from_history(self) -> DayTally:
        """Today's numbers as earlier runs stored them (none when there is no history)."""
        return today_from_history(self.history_path, self.clock().date())

    def _recent_flexion(self) -> list[tuple[float, float]]:
        """The chart's window as earlier runs stored it."""
        return recent_flexion(self.history_path, self.clock().timestamp() - FlexionChart.WINDOW_S)

    @work(exclusive=True, thread=True, group="habit", exit_on_error=False)
    def _refresh_habit(self) -> None:
        """Today's goal, score and streak from the history (a thread: it reads SQLite)."""
        if self.history is not None:
            self.history.flush(1.0)
        habit = habit_today(self.history_path, self.clock().date(), load_plan()[0])
        with contextlib.suppress(RuntimeError):  # the app is already gone
            self.call_from_thread(self.live.show_habit, habit)

    def _history_problem_from_thread(self, message: str) -> None:
        with contextlib.suppress(RuntimeError):  # the app is already gone
            self.call_from_thread(self.show_history_problem, message)

    def show_history_problem(self, message: str) -> None:
        """A store failure stays in the sub-title until it is over, and pops up once."""
        if message:
            self.sub_title = "history not being saved"
            self.notify(escape(message), title="History", severity="error", timeout=30)
        elif self.sub_title == "history not being saved":
            self.sub_title = "demo: a simulated sensor on a simulated person" if self.demo else ""
            self.notify("The history is being saved again.", title="History")

    def _record(self, *records) -> None:
        if self.history is not None:
            for record in records:
                self.history.put(record)

    def _roll_over_day(self) -> bool:
        """After midnight today's numbers start again; True when they just did."""
        day = self.clock().date()
        if day == self._tally_day:
            return False
        self._tally_day = day
        self.tally = DayTally()
        self.session.tally = self.tally
        return True

    def _end_session(self, session: LiveSession) -> None:
        """Write what closes a link session, once."""
        if session in self._open_sessions:
            self._open_sessions.remove(session)
            self._record(*session.end_records())
