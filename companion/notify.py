"""Desktop notifications through desktop-notifier; silent where there is no desktop."""

from __future__ import annotations

import logging

_log = logging.getLogger(__name__)


class DesktopNotifications:
    """Sends a notification when a desktop session exists; otherwise does nothing.

    The first failure (no D-Bus session, no notification server) switches it off
    for the rest of the run instead of failing on every nudge.
    """

    def __init__(self, app_name: str = "posture", enabled: bool = True) -> None:
        self.enabled = enabled
        self._notifier = None
        self._app_name = app_name

    async def send(self, title: str, message: str) -> bool:
        if not self.enabled:
            return False
        try:
            if self._notifier is None:
                from desktop_notifier import DesktopNotifier

                self._notifier = DesktopNotifier(app_name=self._app_name)
            await self._notifier.send(title=title, message=message)
        except Exception as exc:  # no desktop session: degrade silently
            _log.info("desktop notifications unavailable: %s", exc)
            self.enabled = False
            return False
        return True
