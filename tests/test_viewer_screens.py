"""The viewer's settings and stretch screens, through the tracker's socket."""

from __future__ import annotations

from dataclasses import replace

from test_tracker import running_tracker, until

from companion.engine import BodyFrame
from companion.settings import load, save
from companion.tracker.client import AsyncTrackerClient, CommandFailed
from companion.ui.settings_screen import SettingsScreen
from companion.ui.viewer import StretchChoiceScreen, ViewerApp


async def test_settings_saved_in_a_viewer_reach_the_tracker():
    """Real time (Textual's pilot runs on the ordinary loop); a few seconds."""
    async with running_tracker() as (tracker, _sensor):
        viewer = ViewerApp()
        async with viewer.run_test(size=(100, 30)) as pilot:
            await until(lambda: viewer.status is not None)
            await pilot.press("comma")
            await until(lambda: isinstance(viewer.screen, SettingsScreen))
            changed = replace(viewer.settings, posture=replace(viewer.settings.posture, threshold_deg=17.0))
            save(changed, viewer.settings_file)
            viewer.apply_settings(changed)  # what the settings screen's save does
            await until(lambda: tracker.settings.posture.threshold_deg == 17.0)
            assert tracker.session.settings.posture.threshold_deg == 17.0
            assert load().posture.threshold_deg == 17.0


async def test_a_bad_settings_file_is_refused_by_the_tracker_which_keeps_its_settings():
    async with running_tracker() as (tracker, _sensor):
        before = tracker.settings
        viewer = ViewerApp()
        async with viewer.run_test(size=(100, 30)):
            await until(lambda: viewer.status is not None)
            viewer.settings_file.parent.mkdir(parents=True, exist_ok=True)
            viewer.settings_file.write_text("[posture]\nthreshold_deg = 99\n")
            client = await AsyncTrackerClient.connect()
            try:
                await client.request("reload")
            except CommandFailed as exc:
                assert "threshold_deg" in str(exc)
            else:
                raise AssertionError("a bad settings file was taken")
            finally:
                await client.close()
            assert tracker.settings is before


async def test_the_viewer_starts_a_stretch_on_the_tracker():
    async with running_tracker() as (tracker, _sensor):
        viewer = ViewerApp()
        async with viewer.run_test(size=(100, 30)) as pilot:
            await until(lambda: viewer.status is not None)
            # Calibrated as the wearer sits: upright along the sensor's z axis, forward along x.
            tracker.session.engine.set_frame(BodyFrame((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)))
            await pilot.press("r")
            await until(lambda: isinstance(viewer.screen, StretchChoiceScreen))
            await pilot.press("enter")
            await until(lambda: tracker.stretch is not None)
            assert tracker.stretch.plan.kind.value == "trunk_rotation"


async def test_the_viewer_draws_the_settings_threshold_and_opens_help():
    from companion.settings import Settings
    from companion.ui.help_screen import HelpScreen
    from companion.ui.widgets import TiltGauge

    base = Settings()
    save(replace(base, posture=replace(base.posture, threshold_deg=15.0)))
    async with running_tracker() as (_tracker, _sensor):
        viewer = ViewerApp()
        async with viewer.run_test(size=(80, 24)) as pilot:
            await until(lambda: viewer.status is not None)
            gauge = viewer.live.query_one(TiltGauge)
            assert gauge.threshold_deg == 15.0 and gauge.clear_deg == 12.0
            assert len(f"posture — {viewer.sub_title}") <= 50  # the header's title fits 80 columns
            keys = list(viewer.screen.query("FooterKey"))
            assert "Help" in [key.description for key in keys]  # type: ignore[attr-defined]
            assert max(key.region.right for key in keys) <= 80  # and so do the keys
            await pilot.press("question_mark")
            await until(lambda: isinstance(viewer.screen, HelpScreen))
            from tests.test_ui_help import help_text

            text = help_text(viewer)
            assert "Pause tracking, or resume it" in text and "tracking goes on" in text
            assert "Ctrl+P" not in text  # the viewer has no command palette
