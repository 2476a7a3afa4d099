"""Finding one's way: help on ? and F1, the command palette, the startup notice,
the settings screen that says what is wrong and where."""

from __future__ import annotations

import io
import tomllib

from rich.console import Console
from textual.command import CommandPalette

from companion.settings import Settings, settings_path
from companion.ui.help_screen import HelpScreen
from companion.ui.settings_screen import DiscardScreen, SettingsScreen
from tests.test_snapshots import StillLifeApp


def help_text(app) -> str:
    """What the help screen shows, as plain text."""
    console = Console(width=100, record=True, file=io.StringIO())
    for static in app.screen.query("Static"):
        console.print(static.content)
    return console.export_text()


async def test_question_mark_and_f1_open_help_listing_every_screens_keys():
    app = StillLifeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        for expected in (
            "Calibrate: sit upright",
            "Snooze nudges",
            "Quiet mode",
            "Ctrl+P",
            "Previous day",
            "Mark done by hand",
            "Forget remembered",
            "Save",
            "Next / previous field",
        ):
            assert expected in text, expected
        assert "simulated wearer" not in text  # demo keys only in the demo
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_the_demo_help_lists_the_wearer_keys_and_the_live_screen_shows_them_at_80x24():
    from tests.test_ui import calibrate_demo_sensor, demo_app

    calibrate_demo_sensor()
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        keys = app.live.query_one("#demo-keys")
        assert keys.region.bottom <= 23 and keys.region.right <= 80  # on screen above the footer
        assert "s slouch" in str(keys.render())
        await pilot.press("question_mark")
        await pilot.pause()
        text = help_text(app)
        assert "Demo: the simulated wearer" in text and "out of range" in text


async def test_the_command_palette_offers_the_apps_commands():
    app = StillLifeApp()
    async with app.run_test(size=(100, 30)) as pilot:
        names = [command.title for command in app.get_system_commands(app.screen)]
        for expected in (
            "Help",
            "Calibrate",
            "Stretch: Shoulder-blade squeeze",
            "History",
            "Snooze nudges",
            "Quiet mode",
        ):
            assert expected in names
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"quiet")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.policy.quiet_mode


async def test_the_startup_notice_shows_inside_the_app():
    from companion.engine import EngineSettings
    from companion.ui.app import make_app
    from tests.test_ui import calibrate_demo_sensor

    calibrate_demo_sensor()
    notice = "No sensor remembered and no Bluetooth here: starting the simulated demo."
    app = make_app(demo=True, settings=Settings(posture=EngineSettings()), notice=notice)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any(n.message == notice for n in app._notifications)


async def open_settings(pilot, app) -> SettingsScreen:
    await pilot.press("comma")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


async def test_settings_open_with_focus_and_typing_replaces_the_value():
    app = StillLifeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_settings(pilot, app)
        field = screen.query_one("#field-posture-threshold_deg")
        assert app.focused is field
        await pilot.press("1", "5")
        assert field.value == "15"


async def test_a_bad_value_is_named_by_its_label_next_to_its_field_and_nothing_is_written():
    app = StillLifeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        app.settings_file = settings_path()
        screen = await open_settings(pilot, app)
        field = screen.query_one("#field-breaks-sit_minutes")
        field.value = "500"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = screen.query_one("#field-breaks-sit_minutes-error")
        assert error.display and "500 is not allowed: a whole number from 10 to 180" in str(error.render())
        assert "sit_minutes" not in str(error.render())
        assert app.focused is field
        assert screen.query_one("#settings").is_vertical_scroll_end or error.region.bottom <= 36
        assert error.region.height > 0 and 0 <= error.region.y < 36  # on screen, not below the fold
        [toast] = [n for n in app._notifications if n.severity == "error"]
        assert toast.message.startswith("Stretch prompt after sitting for: 500")
        assert not settings_path().exists()
        field.value = "45"  # fixed: the error about 500 goes
        await pilot.pause()
        assert not error.display


async def test_escape_with_unsaved_edits_asks_first():
    app = StillLifeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        app.settings_file = settings_path()
        screen = await open_settings(pilot, app)
        await pilot.press("2", "0")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardScreen)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#field-posture-threshold_deg").value == "20"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert tomllib.loads(settings_path().read_text())["posture"]["threshold_deg"] == 20


async def test_switches_say_on_or_off():
    app = StillLifeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_settings(pilot, app)
        state = screen.query_one("#field-nudges-bell-state")
        assert str(state.render()) == "on"
        screen.query_one("#field-nudges-bell").toggle()
        await pilot.pause()
        assert str(state.render()) == "off"


async def test_a_demo_command_from_the_palette_moves_the_simulated_wearer():
    from companion.sim.wearer import Activity as WearerActivity
    from tests.test_ui import calibrate_demo_sensor, demo_app, state_line, wait_for

    calibrate_demo_sensor()
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: state_line(app) == "upright")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"demo: slouch")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(lambda: app.demo_world.wearer.current is WearerActivity.SLUMPING, timeout_s=5)


async def test_screen_keys_open_from_the_live_screen_and_a_screen_shows_its_own_keys():
    """At 80 columns the footer of a screen holds that screen's keys, not the app's
    (which were cut off mid-word), and a screen's key does not stack it twice."""
    from textual.widgets._footer import FooterKey

    from companion.ui.history_screen import HistoryScreen

    app = StillLifeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        history = app.screen
        assert isinstance(history, HistoryScreen)
        shown = [key.description for key in history.query(FooterKey)]
        assert "Note" in shown and "Back" in shown and "Quit" in shown
        assert "Calibrate" not in shown and "Sensors" not in shown
        await pilot.press("h", "n", "c")
        await pilot.pause()
        assert app.screen is history and app.screen_stack[-2] is app.live
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.live
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "SensorScreen"
