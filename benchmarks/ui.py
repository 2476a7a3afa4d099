"""The whole app's CPU cost (simulated sensor at 50 Hz + link + engine + UI) next to
a minimal Textual app updating one label at 10 Hz, and key-to-screen latency."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator

from textual.app import App, ComposeResult
from textual.widgets import Label

from companion.body_frames import save_frame
from companion.engine import BodyFrame
from companion.link import LinkState
from companion.paths import data_dir
from companion.settings import Settings
from companion.sim.wearer import InteractiveWearer
from companion.ui.app import make_app
from companion.ui.settings_screen import SettingsScreen

from . import Metric

SECONDS = 30.0
SIZE = (120, 40)


class _Floor(App):
    """The least a Textual app updating the screen ten times a second costs."""

    def compose(self) -> ComposeResult:
        yield Label("0", id="n")

    def on_mount(self) -> None:
        self.count = 0
        self.set_interval(0.1, self._tick)

    def _tick(self) -> None:
        self.count += 1
        self.query_one(Label).update(str(self.count))


async def _cpu_share(app: App, ready) -> float:
    async with app.run_test(size=SIZE):
        while not ready(app):  # noqa: ASYNC110 - polls app state that posts no event; the poll is what is timed
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # settle
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(SECONDS)
        return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def _key_latency(app) -> list[float]:
    latencies = []
    async with app.run_test(size=SIZE):
        while app.link_state is not LinkState.STREAMING:  # noqa: ASYNC110 - polls app state that posts no event; the poll is what is timed
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        for _ in range(20):
            started = time.perf_counter()
            app.simulate_key("comma")
            # Shown: the settings screen is active and has been painted once.
            while not (isinstance(app.screen, SettingsScreen) and _laid_out(app.screen)):  # noqa: ASYNC110 - polls app state that posts no event; the poll is what is timed
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - started)
            app.simulate_key("escape")
            while isinstance(app.screen, SettingsScreen):  # noqa: ASYNC110 - polls app state that posts no event; the poll is what is timed
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.3)
    return latencies


def _laid_out(screen: SettingsScreen) -> bool:
    fields = screen.query("#field-posture-threshold_deg")
    return bool(fields) and fields.first().region.height > 0


def _demo_app():
    # A calibrated demo, so the measurement sees the live screen, not the calibration.
    frame = BodyFrame.from_dict(InteractiveWearer(seed=0).exact_frame())
    save_frame("F0:00:00:00:00:01", frame, 0.0, data_dir() / "demo" / "history.sqlite3")
    return make_app(demo=True, settings=Settings())


def run() -> Iterator[Metric]:
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        os.environ["POSTURE_HOME"] = home
        floor = asyncio.run(_cpu_share(_Floor(), lambda app: True))
        full = asyncio.run(_cpu_share(_demo_app(), lambda app: app.link_state is LinkState.STREAMING))
        latencies = asyncio.run(_key_latency(_demo_app()))
    yield Metric("ui_app_cpu_share", full, "core", f"demo app, sensor at 50 Hz, over {SECONDS:g} s")
    yield Metric("ui_floor_cpu_share", floor, "core", "minimal Textual app, one label at 10 Hz")
    yield Metric("ui_cpu_ratio", full / floor, "ratio", "goal <= 4")
    yield Metric(
        "ui_key_latency_median",
        statistics.median(latencies) * 1000,
        "ms",
        "key to the settings screen mounted and laid out, while streaming",
    )
    yield Metric("ui_key_latency_p90", statistics.quantiles(latencies, n=10)[-1] * 1000, "ms", "goal <= 100")
    yield Metric("ui_key_latency_max", max(latencies) * 1000, "ms")
