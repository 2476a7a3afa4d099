"""The tracker's "today" is the calendar day from the history, and starts again at midnight."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time, timedelta

from habit_history import write_day
from test_tracker import WALL0, until

from companion.ble.transport import BleTransport
from companion.history import HistoryStore
from companion.history.store import default_path
from companion.link import scan
from companion.notify import DesktopNotifications
from companion.settings import Settings
from companion.sim import ReferenceSensor
from companion.sim.clock import run_virtual
from companion.sim.wearer import Script, SimulatedWearer
from companion.sim.world import simulated_radio
from companion.tracker.tracker import Tracker


@contextlib.asynccontextmanager
async def running_tracker(wearer, start: datetime = WALL0):
    """A tracker whose wall clock starts at ``start`` and runs with the virtual clock."""
    async with simulated_radio(lambda radio: ReferenceSensor(radio, motion=wearer)) as (radio, _sensors):
        transport = BleTransport.virtual(radio)
        [found] = await scan(transport, 0.5)
        loop = asyncio.get_running_loop()
        offset = loop.time()
        tracker = Tracker(
            Settings(),
            transport,
            found,
            clock=lambda: start + timedelta(seconds=loop.time() - offset),
            notifier=DesktopNotifications(enabled=False),
        )
        task = asyncio.create_task(tracker.run())
        await asyncio.wait({task, asyncio.ensure_future(tracker.ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        try:
            yield tracker
        finally:
            tracker.stop()
            await asyncio.wait_for(task, 10)


def sitting() -> SimulatedWearer:
    return SimulatedWearer(Script().sit(6).calibration().sit(3000), seed=3)


def test_today_counts_what_earlier_runs_stored_this_day():
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    store = HistoryStore(path)
    write_day(store, WALL0.date(), 45, slouch_min=(3, 2), start=time(8, 0))  # this morning
    write_day(store, WALL0.date() - timedelta(days=1), 200, slouch_min=(5,))  # yesterday: not today
    store.close()

    async def scenario():
        async with running_tracker(sitting()) as tracker:
            await until(lambda: tracker.status()["link"]["state"] == "streaming")
            await asyncio.sleep(5)
            today = tracker.status()["today"]
            assert today["episodes"] == 2
            assert today["tracked_s"] >= 45 * 60
            assert today["tracked_s"] < 46 * 60 + 60

    run_virtual(scenario())


def test_today_starts_again_at_midnight():
    # The tracker starts 20 s before midnight on the wall clock.
    start = datetime.combine(WALL0.date(), time(23, 59, 40))

    async def scenario():
        async with running_tracker(sitting(), start) as tracker:
            await until(lambda: tracker.status()["today"]["tracked_s"] > 5)
            await until(lambda: tracker.clock().date() > start.date(), timeout_s=60)
            midnight = datetime.combine(start.date() + timedelta(days=1), time.min)
            await asyncio.sleep(3)
            status = tracker.status()
            since_midnight_s = (datetime.fromtimestamp(status["time"]) - midnight).total_seconds()
            # Today's worn time cannot exceed the time since midnight.
            assert 0 < status["today"]["tracked_s"] <= since_midnight_s + 0.5, (status["today"], since_midnight_s)

    run_virtual(scenario())
