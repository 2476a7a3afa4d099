"""Desktop notifications through desktop-notifier, with an honest answer.

desktop-notifier never raises when a notification cannot be shown (no D-Bus
session in a plain SSH or tmux login, no notification server): it logs a warning
and returns an identifier all the same. Success is therefore taken only from its
``on_dispatched`` callback, which it calls once the notification server accepted
the notification; anything else is a failure, with the reason taken from the
library's own warning. After the first failure desktop notifications stay off for
the run and ``unavailable_notice`` says so, once, for the terminal to show.
"""

from __future__ import annotations

import logging
from typing import Any

_log = logging.getLogger(__name__)
_LIBRARY_LOGGER = "desktop_notifier"


class _Capture(logging.Handler):
    """Keeps desktop-notifier's failure warning (it would otherwise go to stderr and
    through the terminal UI) so its reason can be shown in one line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.reasons.append(str(exc) if exc else record.getMessage())


class DesktopNotifications:
    """Sends desktop notifications while they work; ``send`` is True only when the
    notification server took the notification."""

    def __init__(self, app_name: str = "posture", enabled: bool = True, notifier: Any = None) -> None:
        self.enabled = enabled
        self.available = True
        self.reason = ""
        self._notifier = notifier
        self._app_name = app_name
        self._noticed = False

    async def send(self, title: str, message: str) -> bool:
        if not self.enabled or not self.available:
            return False
        dispatched: list[bool] = []
        capture = _Capture()
        library_log = logging.getLogger(_LIBRARY_LOGGER)
        library_log.addHandler(capture)
        propagate, library_log.propagate = library_log.propagate, False
        try:
            if self._notifier is None:
                from desktop_notifier import DesktopNotifier

                self._notifier = DesktopNotifier(app_name=self._app_name)
            await self._notifier.send(title=title, message=message, on_dispatched=lambda: dispatched.append(True))
        except Exception as exc:  # noqa: BLE001 - each platform backend raises its own errors; all mean "not shown"
            capture.reasons.append(str(exc) or type(exc).__name__)
        finally:
            library_log.removeHandler(capture)
            library_log.propagate = propagate
        if dispatched:
            return True
        self.available = False
        self.reason = capture.reasons[-1] if capture.reasons else "the notification server did not take it"
        _log.info("desktop notifications unavailable: %s", self.reason)
        return False

    def unavailable_notice(self) -> str:
        """Once per run after a failure: what to tell the user; empty otherwise."""
        if self.available or self._noticed:
            return ""
        self._noticed = True
        return f"Desktop notifications are unavailable here ({self.reason}). Nudges show in this terminal, with a bell."
