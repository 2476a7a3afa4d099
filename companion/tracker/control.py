"""The control socket's commands, served the same way by the background tracker and
by a window that tracks in-process (docs/control.md).

The reply shapes, the subscription bookkeeping and the snapshot schedule live here
once; an owner (:class:`Controlled`) says only what each command does to its session,
and refuses with :class:`Refused` when it cannot.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any, Protocol

from ..errors import UsageError
from .protocol import Request
from .server import Client, ControlServer

_log = logging.getLogger(__name__)


class Refused(UsageError):
    """A command the owner cannot carry out now; the text is the reply's error."""


class Controlled(Protocol):
    """What a session owner does for each command of the protocol."""

    def status(self) -> dict[str, Any]: ...

    def control_pause(self, minutes: float | None) -> None: ...

    def control_resume(self) -> None: ...

    def control_snooze(self, minutes: int) -> None: ...

    def control_calibrate(self) -> int:
        """Start the guided calibration; a number naming this one."""
        ...

    def control_calibration_abandoned(self, calibration: int) -> None:
        """The peer that asked for calibration number ``calibration`` hung up: cancel
        it if it still runs (not one started since by someone else)."""
        ...

    def control_stretch(self, name: str) -> str:
        """Start the named stretch; its title."""
        ...

    def control_reload(self) -> None: ...

    def control_stop(self) -> None: ...


async def dispatch(owner: Controlled, request: Request, client: Client) -> dict[str, Any]:
    """Carry out one request; the reply (without its id), with the status after it."""
    cmd = request.cmd
    extra: dict[str, Any] = {}
    try:
        if cmd == "subscribe":
            client.rate_hz = request.rate_hz
            client.last_sent = float("-inf")  # the first snapshot goes out at once
        elif cmd == "pause":
            owner.control_pause(request.minutes)
        elif cmd == "resume":
            owner.control_resume()
        elif cmd == "snooze":
            owner.control_snooze(max(1, round(request.minutes or 0)))  # whole minutes, at least one
        elif cmd == "calibrate":
            started = owner.control_calibrate()
            if client.rate_hz is not None:
                # A watching peer guides the person (`posture calibrate`, a viewer): once
                # it is gone (Ctrl-C, a closed terminal) nobody says what to do next, so
                # the calibration must not hang on. A one-shot request is not a guide.
                client.on_hang_up.append(partial(owner.control_calibration_abandoned, started))
        elif cmd == "stretch":
            extra["stretch"] = owner.control_stretch(request.name or "")
        elif cmd == "reload":
            owner.control_reload()
        elif cmd == "stop":
            _log.info("stop requested over the control socket")
            asyncio.get_running_loop().call_soon(owner.control_stop)  # after this reply is sent
    except Refused as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, **extra, "status": owner.status()}


def send_all(server: ControlServer | None, message: dict[str, Any]) -> int:
    """The message to every subscriber; how many took it."""
    if server is None:
        return 0
    return sum(client.send(message) for client in server.subscribers())


def broadcast(server: ControlServer | None, owner: Controlled, now: float, *, force: bool = False) -> None:
    """A snapshot to each subscriber that is due at its own rate (all of them when
    ``force``); nothing is built while nobody watches."""
    if server is None:
        return
    subscribers = server.subscribers()
    if not subscribers:
        return
    due = [c for c in subscribers if force or now - c.last_sent >= 1.0 / (c.rate_hz or 1.0) - 1e-6]
    if not due:
        return
    message = {"event": "snapshot", "status": owner.status()}
    for client in due:
        client.last_sent = now
        client.send(message)


__all__ = ["Controlled", "Refused", "broadcast", "dispatch", "send_all"]
