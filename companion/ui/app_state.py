"""What :class:`companion.ui.app.PostureApp` holds and what its three parts
(``app_link.py``, ``app_history.py``, ``app_actions.py``) ask of one another.

Each part is a mixin that reads the app's state; this class declares that state
with its types so each part type-checks on its own. The parts inherit it only
while type checking: at run time they are plain mixins over :class:`textual.app.App`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.worker import Worker

from ..ble.transport import BleTransport
from ..coach import DayTally
from ..coach.stretches import GuidedStretch
from ..history.writer import HistoryWriter
from ..link import FoundSensor, LinkState, SensorLink
from ..live import LiveSession
from ..notify import DesktopNotifications
from ..settings import Settings
from .control import WindowControl
from .live_screen import LiveScreen

if TYPE_CHECKING:
    from ..sim.world import DemoWorld
    from ..tracker import TrackerLock


class AppState(App[None]):
    settings: Settings
    settings_file: Path
    transport: BleTransport
    initial_sensor: FoundSensor | None
    demo: bool
    demo_world: DemoWorld | None
    calibrate_on_start: bool
    clock: Callable[[], datetime]
    notifier: DesktopNotifications
    session: LiveSession
    link: SensorLink | None
    sensor_info: dict[str, object]
    link_state: LinkState
    live: LiveScreen
    history_path: Path
    active_stretch: GuidedStretch | None
    history: HistoryWriter | None
    home_lock: TrackerLock | None
    startup_notice: str
    tally: DayTally
    control: WindowControl | None
    socket_file: Path | None
    started_at: float
    _link_detail: str
    _link_counts_shown: tuple[int, int]
    _demo_step: str
    _link_restarts: int
    _bluetooth_checked: bool
    _calibrate_when_streaming: bool
    _tally_day: date
    _signals_handled: list[int]
    _open_sessions: list[LiveSession]

    # Provided by one part for the others.
    def action_calibrate(self) -> None:
        raise NotImplementedError

    def action_stretch(self, kind: str | None = None) -> None:
        raise NotImplementedError

    def _record(self, *records: object) -> None:
        raise NotImplementedError

    def _end_session(self, session: LiveSession) -> None:
        raise NotImplementedError

    def _save(self, settings: Settings) -> None:
        raise NotImplementedError

    def _roll_over_day(self) -> bool:
        raise NotImplementedError

    def _sensor_write(self, step: object) -> Worker[None]:
        raise NotImplementedError
