"""Desktop notifications that never arrive are not counted as delivered; the
terminal takes over (bell and toast) and says once that the desktop is unavailable."""

from __future__ import annotations

import asyncio
import logging

from companion.live import Nudge
from companion.notify import DesktopNotifications
from companion.settings import NudgeSettings, Settings
from companion.ui.app import PostureApp
from companion.ui.messages import NudgeDue


class TakingServer:
    """Stands in for desktop-notifier on a desktop whose server takes notifications."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, *, title, message, on_dispatched=None, **kwargs):
        self.sent.append(title)
        if on_dispatched is not None:
            on_dispatched()
        return "id"


async def test_no_notification_service_is_a_failure_not_a_success(monkeypatch, capsys):
    # A plain SSH or tmux login: no session bus, no display.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/posture-test-bus")
    monkeypatch.delenv("DISPLAY", raising=False)
    logging.getLogger("desktop_notifier").addHandler(logging.NullHandler())
    notifications = DesktopNotifications()
    assert await notifications.send("Sit up", "You have been slouching") is False
    assert not notifications.available and notifications.reason
    notice = notifications.unavailable_notice()
    assert "unavailable" in notice and "terminal" in notice
    assert notifications.unavailable_notice() == ""  # said once
    assert await notifications.send("Sit up", "again") is False
    assert "Traceback" not in capsys.readouterr().err


async def test_a_notification_the_server_took_is_delivered():
    server = TakingServer()
    notifications = DesktopNotifications(notifier=server)
    assert await notifications.send("Sit up", "m") is True
    assert server.sent == ["Sit up"] and notifications.unavailable_notice() == ""


async def test_the_app_falls_back_to_bell_and_toast_and_says_so_once(monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/posture-test-bus")
    monkeypatch.delenv("DISPLAY", raising=False)
    settings = Settings(nudges=NudgeSettings(bell=False, desktop=True, vibrate=False))
    app = PostureApp(settings=settings, settings_file=tmp_path / "settings.toml", history_path=tmp_path / "h.sqlite3")
    bells: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(True))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(2):
            app.post_message(NudgeDue(Nudge("slouch", "Sit up", "You have been slouching for 30 s.")))
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert sum("slouching" in m for m in messages) == 2  # the toast, each time
        assert sum("Desktop notifications are unavailable" in m for m in messages) == 1
        assert len(bells) == 2  # the bell although the desktop was preferred to it
    await asyncio.sleep(0)
