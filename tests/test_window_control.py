"""A window that tracks in-process (no background tracker) serves the control
socket: `posture status` answers, and a second window attaches as a viewer."""

from __future__ import annotations

from test_tracker import ask, until

from companion.ble.transport import BleTransport
from companion.link import scan
from companion.notify import DesktopNotifications
from companion.settings import Settings
from companion.sim import ReferenceSensor
from companion.sim.wearer import Script, SimulatedWearer
from companion.sim.world import simulated_radio
from companion.tracker import socket_path
from companion.tracker.client import CommandFailed, NoTracker
from companion.ui.app import make_app
from companion.ui.viewer import ViewerApp


async def test_a_tracking_window_answers_status_and_takes_a_viewer(tmp_path):
    """Real time (Textual's pilot runs on the ordinary loop); a few seconds."""
    wearer = SimulatedWearer(Script().sit(600), seed=2)
    async with simulated_radio(lambda radio: ReferenceSensor(radio, motion=wearer)) as (radio, _sensors):
        transport = BleTransport.virtual(radio)
        [found] = await scan(transport, 0.5)
        app = make_app(
            settings=Settings(),
            settings_file=tmp_path / "settings.toml",
            transport=transport,
            sensor=found,
            calibrate_on_start=False,
            notifier=DesktopNotifications(enabled=False),
        )
        async with app.run_test(size=(100, 30)):
            await until(lambda: app.control is not None and app.link_state.value == "streaming")
            reply = await ask("status")
            assert reply["ok"] and reply["status"]["link"]["state"] == "streaming"
            assert reply["status"]["sensor"]["address"] == found.address
            try:
                await ask("pause")
            except CommandFailed as exc:  # said plainly, not ignored
                assert "no pause" in str(exc)
            else:
                raise AssertionError("a pause the window cannot do was accepted")
            assert (await ask("snooze", minutes=20))["ok"]
            assert app.session.policy.snoozed_until is not None
            viewer = ViewerApp()
            async with viewer.run_test(size=(100, 30)) as pilot:
                await until(lambda: viewer.status is not None and viewer.status["t_s"] > 0)
                assert "viewing the tracker (pid" in viewer.sub_title
                await pilot.press("ctrl+q")
            assert app.is_running  # the viewer closed, the tracking window goes on
        # The window closed: the socket is gone with it.
        assert not socket_path().exists()
        try:
            await ask("status")
        except NoTracker:
            pass
        else:
            raise AssertionError("the socket outlived the window")


async def test_the_demo_serves_no_socket(tmp_path):
    app = make_app(
        demo=True, settings=Settings(), calibrate_on_start=False, notifier=DesktopNotifications(enabled=False)
    )
    async with app.run_test(size=(100, 30)):
        await until(lambda: app.link is not None)
        assert app.control is None and not socket_path().exists()
