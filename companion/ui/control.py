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
import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..coach.stretches import BALANCE_PLAN, CATALOGUE
from ..history.writer import HistoryWriter
from ..link import LinkState, SensorLink
from ..live import LiveSession
from ..tracker.fields import status_fields
from ..tracker.protocol import PROTOCOL_VERSION, Request
from ..tracker.server import Client, ControlServer

_log = logging.getLogger("companion.ui.control")

STRETCHES = {plan.kind.value for plan in (*CATALOGUE.values(), BALANCE_PLAN)}
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
        self._last_broadcast = float("-inf")

    async def start(self) -> WindowControl:
        """Serve the socket; call only while holding the home lock."""
        self.server = await ControlServer(self.socket_file, self.handle, self.hello).start()
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

    async def handle(self, request: Request, client: Client) -> dict[str, Any] | None:
        cmd, owner = request.cmd, self.owner
        error = ""
        if cmd == "subscribe":
            client.rate_hz = request.rate_hz
            client.last_sent = float("-inf")
        elif cmd == "pause":
            error = NO_PAUSE
        elif cmd == "resume":
            owner.resume_nudges()
        elif cmd == "snooze":
            owner.snooze_nudges(max(1, round(request.minutes or 0)))
        elif cmd == "calibrate":
            error = owner.calibrate_from_viewer()
        elif cmd == "stretch":
            error = (
                f"unknown stretch {request.name!r}; known: {', '.join(sorted(STRETCHES))}"
                if request.name not in STRETCHES
                else owner.stretch_from_viewer(request.name)
            )
        elif cmd == "reload":
            error = owner.reload_settings()
        elif cmd == "stop":
            _log.info("stop requested over the control socket")
            asyncio.get_running_loop().call_soon(owner.stop_tracking)
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "status": self.status()}

    def send_all(self, message: dict[str, Any]) -> int:
        if self.server is None:
            return 0
        return sum(client.send(message) for client in self.server.subscribers())

    def broadcast(self, *, force: bool = False) -> None:
        """A snapshot to each subscriber at its rate; nothing is built while nobody watches."""
        if self.server is None:
            return
        subscribers = self.server.subscribers()
        if not subscribers:
            return
        now = asyncio.get_running_loop().time()
        due = [c for c in subscribers if force or now - c.last_sent >= 1.0 / (c.rate_hz or 1.0) - 1e-6]
        if not due:
            return
        message = {"event": "snapshot", "status": self.status()}
        for client in due:
            client.last_sent = now
            client.send(message)


__all__ = ["SessionOwner", "WindowControl"]
