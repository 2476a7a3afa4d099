"""The control socket of a window that tracks in-process: when no background
tracker runs, the window is the one owner of the session and serves the same
socket and protocol (docs/control.md), so ``posture status`` answers and a second
window attaches as a viewer instead of refusing.

It reads the session through :class:`SessionOwner` and changes it only through the
owner's commands; the status has the same fields as the tracker's
(:func:`companion.tracker.fields.status_fields`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from ..coach.stretches import plan_named
from ..history.writer import HistoryWriter
from ..link import LinkState, SensorLink
from ..live import LiveSession
from ..tracker.control import Refused, broadcast, dispatch, send_all
from ..tracker.fields import status_fields
from ..tracker.protocol import PROTOCOL_VERSION
from ..tracker.server import ControlServer

NO_PAUSE = (
    "this window tracks in-process and has no pause: snooze the nudges, or close it and run "
    "`posture track` to pause tracking"
)


class SessionOwner(Protocol):
    """What the window offers the control socket."""

    session: LiveSession
    link: SensorLink | None
    link_state: LinkState
    sensor_info: dict[str, object]
    history: HistoryWriter | None
    history_path: Path
    clock: Callable[[], datetime]
    started_at: float

    @property
    def link_detail(self) -> str: ...

    @property
    def stretching(self) -> str | None: ...

    def snooze_nudges(self, minutes: int | None) -> datetime: ...

    def resume_nudges(self) -> None: ...

    def calibrate_from_viewer(self) -> str:
        """Start the guided calibration; an error text when it cannot start."""
        ...

    def stretch_from_viewer(self, name: str) -> str:
        """Start a guided stretch; an error text when it cannot start."""
        ...

    def reload_settings(self) -> str:
        """Read the settings file again; an error text when it is bad."""
        ...

    def stop_tracking(self) -> None: ...


class WindowControl:
    def __init__(self, owner: SessionOwner, socket_file: Path) -> None:
        self.owner = owner
        self.socket_file = socket_file
        self.server: ControlServer | None = None

    async def start(self) -> WindowControl:
        """Serve the socket; call only while holding the home lock."""
        self.server = await ControlServer(self.socket_file, partial(dispatch, self), self.hello).start()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    def hello(self) -> dict[str, Any]:
        from .. import __version__

        return {
            "pid": os.getpid(),
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "history": str(self.owner.history_path),
            "window": True,
        }

    def status(self) -> dict[str, Any]:
        owner = self.owner
        return status_fields(
            owner.session,
            link_state=owner.link_state,
            link_detail=owner.link_detail,
            stats=owner.link.stats if owner.link else None,
            failure=(owner.link.failure or "") if owner.link else "",
            sensor=dict(owner.sensor_info),
            history=owner.history,
            paused=False,
            paused_until=None,
            pause_left_s=None,
            stretching=owner.stretching,
            started_at=owner.started_at,
            now=owner.clock(),
        )

    # What each command of the control socket does (companion.tracker.control).

    def control_pause(self, minutes: float | None) -> None:
        raise Refused(NO_PAUSE)

    def control_resume(self) -> None:
        self.owner.resume_nudges()

    def control_snooze(self, minutes: int) -> None:
        self.owner.snooze_nudges(minutes)

    def control_calibrate(self) -> int:
        _refuse_on(self.owner.calibrate_from_viewer())
        return 0

    def control_calibration_abandoned(self, calibration: int) -> None:
        """Nothing: the window shows the calibration it runs, and Esc cancels it there."""

    def control_stretch(self, name: str) -> str:
        try:
            plan = plan_named(name)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        _refuse_on(self.owner.stretch_from_viewer(name))
        return plan.title

    def control_reload(self) -> None:
        _refuse_on(self.owner.reload_settings())

    def control_stop(self) -> None:
        self.owner.stop_tracking()

    def send_all(self, message: dict[str, Any]) -> int:
        return send_all(self.server, message)

    def broadcast(self, *, force: bool = False) -> None:
        broadcast(self.server, self, asyncio.get_running_loop().time(), force=force)


def _refuse_on(error: str) -> None:
    if error:
        raise Refused(error)


__all__ = ["SessionOwner", "WindowControl"]
