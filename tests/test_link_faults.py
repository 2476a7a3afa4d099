"""The link under injected faults: drops at any moment, stalls, bad connections,
reconnect bookkeeping and device-time outliers. All on the virtual clock."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from benchmarks.sessions import link_session
from companion.drivers import ReferenceDriver
from companion.link import LinkRestarted, LinkState, LinkStateChanged, SensorConnected
from companion.sim import ReferenceSensor
from companion.sim.clock import run_virtual
from companion.sim.witmotion import WitMotionSensor
from companion.sim.world import simulated_radio
from firmware_protocol import RawSample, SampleBatch, SampleSequencer, SensorConfig

PERIOD_S = 0.02  # the reference sensor's 50 Hz


def state_changes(session) -> list[LinkStateChanged]:
    return [e for e in session.events if isinstance(e, LinkStateChanged)]


def is_state(state: LinkState):
    return lambda e: isinstance(e, LinkStateChanged) and e.state is state


def assert_steady(readings, period_s: float = PERIOD_S, max_step_s: float | None = None) -> None:
    """Indices contiguous and times strictly increasing, one period apart except
    where ``max_step_s`` allows a longer step."""
    seqs = [r.seq for r in readings]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    steps = [b.t_s - a.t_s for a, b in itertools.pairwise(readings)]
    assert min(steps) > 0
    assert max(steps) <= (max_step_s if max_step_s is not None else period_s + 1e-6)


# -- item 6: a drop at any moment is a reconnect ----------------------------------


class _DropsAfter(WitMotionSensor):
    """Drops its first connection ``delay_s`` after it forms."""

    def __init__(self, radio, delay_s: float) -> None:
        super().__init__(radio, refuse_first_connection=False)
        self.delay_s = delay_s

    def on_connected(self, connection) -> None:
        if self.connections_accepted == 1:
            self.spawn(self._drop(connection))

    async def _drop(self, connection) -> None:
        await asyncio.sleep(self.delay_s)
        await connection.disconnect()


@pytest.mark.parametrize("delay_s", [0.0, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.05, 0.15, 0.3])
def test_drop_during_connection_or_discovery_is_a_reconnect(delay_s):
    async def main():
        async with simulated_radio(lambda radio: _DropsAfter(radio, delay_s)) as (radio, [sensor]):
            async with link_session(radio) as session:
                await session.until(lambda e: isinstance(e, SensorConnected) and sensor.connections_accepted >= 2, 30)
                await session.pump(2.0)
                assert not session.task.done()
        assert not any(isinstance(e, LinkRestarted) for e in session.events)
        assert session.link.stats.restarts == 0
        assert len(session.readings) > 50
        assert state_changes(session)[-1].state is LinkState.STOPPED

    run_virtual(main())


class _BrokenOnce(ReferenceDriver):
    """A driver with a defect that shows on the first connection only."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def start_steps(self):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("driver defect")
        return super().start_steps()


def test_unexpected_error_in_the_link_is_reported_and_the_link_restarts():
    async def main():
        async with simulated_radio() as (radio, _), link_session(radio, driver=_BrokenOnce()) as session:
            restarted = await session.until(lambda e: isinstance(e, LinkRestarted), 10)
            await session.until(is_state(LinkState.STREAMING), 10)
            await session.pump(2.0)
        assert "driver defect" in restarted.reason
        assert session.link.stats.restarts == 1
        assert len(session.readings) >= 90

    run_virtual(main())


# -- item 7: stall watchdog ---------------------------------------------------------


def test_silent_sensor_is_reported_stalled_reconnected_and_nothing_good_is_dropped():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.pump(3.0)
            loop = asyncio.get_running_loop()
            stalled_at = loop.time()
            sensor.spawn(sensor.stall(60.0))  # connected, but silent for a minute
            stalled = await session.until(is_state(LinkState.STALLED), 20)
            detected_after = loop.time() - stalled_at
            await session.until(is_state(LinkState.STREAMING), 20)
            before = len(session.readings)
            await session.pump(70.0)  # past the moment the sensor would restart its counter
            after = len(session.readings) - before
        stats = session.link.stats
        assert 5.0 <= detected_after <= 6.0
        assert stalled.new_outage and "no data" in stalled.detail
        assert stats.stalls == 1
        assert stats.duplicates == 0 and stats.lost == 0
        assert after >= 70.0 / PERIOD_S - 20
        assert_steady(session.readings, max_step_s=10.0)
        assert sensor.connections_accepted == 2

    run_virtual(main())


def test_watchdog_allows_ten_periods_of_a_slow_sensor():
    async def main():
        async with simulated_radio() as (radio, _), link_session(radio) as session:
            await session.until(is_state(LinkState.STREAMING))
            session.link.driver.rate_hz = 1.0  # as if the sensor ran at 1 Hz
            await session.pump(8.0)
        assert session.link.stats.stalls == 0

    run_virtual(main())


# -- item 8: reconnect bookkeeping ------------------------------------------------


def test_frames_held_for_reordering_are_delivered_at_a_reconnect_and_every_sample_counted():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.pump(3.0)
            sensor.faults.delay_s = 60.0  # the delayed frame never makes it
            sensor.faults.inject("delay")
            await session.pump(0.5)  # the frames after it arrive and are held
            held = len(session.link.driver._sequencer._pending)
            await sensor.disconnect()
            await session.until(is_state(LinkState.STREAMING))
            await session.pump(3.0)
            sensor.pause_stream()
            await session.pump(0.5)
            stats = session.link.stats
            assert held >= 1
            assert stats.lost == 10
            assert stats.received + stats.lost == sensor.samples_sent
        seqs = [r.seq for r in session.readings]
        assert seqs == sorted(set(seqs))
        assert seqs[-1] + 1 == stats.received + stats.lost

    run_virtual(main())


class _Flaky(ReferenceSensor):
    """A bad connection: drops every connection ``after_s`` after it forms."""

    def __init__(self, radio, after_s: float) -> None:
        super().__init__(radio)
        self.after_s = after_s

    def on_connected(self, connection) -> None:
        self.spawn(self._drop(connection))

    async def _drop(self, connection) -> None:
        await asyncio.sleep(self.after_s)
        if self.connection is connection:
            await self.disconnect()


def test_a_flapping_connection_is_one_outage_with_one_notice():
    async def main():
        async with simulated_radio(lambda radio: _Flaky(radio, 3.0)) as (radio, [sensor]):
            async with link_session(radio) as session:
                await session.pump(60.0)
        notices = [e for e in state_changes(session) if e.new_outage]
        assert sensor.connections_accepted >= 10
        assert len(notices) == 1
        assert session.link.stats.outages == 1
        assert session.link.stats.reconnects >= 9

    run_virtual(main())


def test_separate_outages_each_get_their_notice():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            for _ in range(3):
                await session.pump(15.0)
                await sensor.disconnect()
            await session.pump(5.0)
        assert len([e for e in state_changes(session) if e.new_outage]) == 3

    run_virtual(main())


def test_a_long_outage_says_lost_once_and_recovers():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio, lost_after_s=10.0) as session:
            await session.pump(2.0)
            await sensor.go_out_of_range(120.0)
            await session.until(is_state(LinkState.STREAMING), 60)
            await session.pump(2.0)
        after_drop = [e.state for e in state_changes(session)][2:]
        assert after_drop.count(LinkState.LOST) == 1
        assert after_drop.count(LinkState.RECONNECTING) == 1
        assert after_drop[-2:] == [LinkState.STREAMING, LinkState.STOPPED]

    run_virtual(main())


# -- item 9: device-time outliers -----------------------------------------------


def test_single_timestamp_spike_is_repaired():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.pump(3.0)
            sensor.spike_clock(1000.0)
            await session.pump(3.0)
            sensor.spike_clock(-2.0)
            await session.pump(3.0)
        assert session.link.stats.time_repairs == 2
        assert_steady(session.readings)
        assert session.readings[-1].t_s < 10.0

    run_virtual(main())


def test_device_clock_wrapping_past_32_bits_keeps_time_steady():
    async def main():
        wrap_s = (1 << 32) / 1e6
        make = lambda radio: ReferenceSensor(radio, clock_start_s=wrap_s - 3.0)  # noqa: E731
        async with simulated_radio(make) as (radio, _), link_session(radio) as session:
            await session.pump(10.0)
        assert session.link.stats.time_repairs == 0
        assert len(session.readings) >= 490
        assert_steady(session.readings)

    run_virtual(main())


def test_sensor_reboot_keeping_the_link_continues_the_stream():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.pump(200.0)  # device clock well past zero
            await sensor.reboot(drop_connection=False)
            before = len(session.readings)
            await session.pump(10.0)
        stats = session.link.stats
        assert stats.duplicates == 0 and stats.lost == 0 and stats.time_repairs == 0
        assert len(session.readings) - before >= 490
        assert_steady(session.readings, max_step_s=0.25)
        assert session.readings[-1].t_s == pytest.approx(210.0, abs=0.5)

    run_virtual(main())


def test_sensor_reboot_with_reconnection_continues_the_stream():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.pump(200.0)
            await sensor.reboot()
            await session.until(is_state(LinkState.STREAMING))
            before = len(session.readings)
            await session.pump(10.0)
        assert session.link.stats.reconnects == 1
        assert len(session.readings) - before >= 490
        assert_steady(session.readings, max_step_s=5.0)
        assert session.readings[-1].t_s == pytest.approx(210.0, abs=3.0)

    run_virtual(main())


# The sequencer alone, on frames built by hand.

CONFIG = SensorConfig(50, 4, 500)


def batch(index: int, t0_s: float, per: int = 10) -> SampleBatch:
    samples = tuple(RawSample(0, 0, 8192, 0, 0, 0) for _ in range(per))
    return SampleBatch(index % 65536, round(t0_s * 1e6) % (1 << 32), CONFIG, samples)


def release(frames) -> tuple[list, SampleSequencer]:
    sequencer = SampleSequencer(start_seq=0)
    out = []
    for frame in frames:
        out += sequencer.push(frame)
    return out + sequencer.flush(), sequencer


def test_sequencer_repairs_a_spike_in_either_direction():
    frames = [batch(10 * k, 0.2 * k) for k in range(10)]
    frames[4] = batch(40, 0.8 + 1000.0)
    frames[7] = batch(70, 1.4 - 900.0)
    out, sequencer = release(frames)
    assert [o.t0_s for o in out] == pytest.approx([0.2 * k for k in range(10)])
    assert sequencer.stats.time_repairs == 2 and sequencer.stats.restarts == 0


def test_sequencer_takes_a_counter_and_clock_restart_as_a_new_stream():
    frames = [batch(10 * k, 100.0 + 0.2 * k) for k in range(5)]
    frames += [batch(10 * k, 0.01 + 0.2 * k) for k in range(5)]  # rebooted: seq 0, clock ~0
    out, sequencer = release(frames)
    assert [o.index for o in out] == [10 * k for k in range(10)]
    assert [o.restarted for o in out] == [False] * 5 + [True] + [False] * 4
    assert sequencer.stats.restarts == 1
    assert sequencer.stats.duplicate_frames == 0 and sequencer.stats.lost == 0


def test_sequencer_restart_far_ahead_after_the_counter_passed_half_its_range():
    frames = [batch(40_000 + 10 * k, 800.0 + 0.2 * k) for k in range(5)]
    frames += [batch(10 * k, 0.01 + 0.2 * k) for k in range(5)]
    sequencer = SampleSequencer(start_seq=None)
    out = []
    for frame in frames:
        out += sequencer.push(frame)
    assert sequencer.stats.lost == 0 and sequencer.stats.restarts == 1
    assert [o.index for o in out] == [40_000 + 10 * k for k in range(10)]


def test_a_duplicate_keeps_its_timestamp_so_it_is_not_a_restart():
    frames = [batch(10 * k, 0.2 * k) for k in range(6)]
    frames.insert(4, frames[1])
    out, sequencer = release(frames)
    assert sequencer.stats.duplicate_frames == 1 and sequencer.stats.restarts == 0
    assert [o.index for o in out] == [10 * k for k in range(6)]


# -- the app: updates in any screen state, a dying link task restarted ------------

from companion.engine import PostureSnapshot  # noqa: E402
from companion.engine.activity import Activity  # noqa: E402
from companion.engine.engine import EngineState  # noqa: E402
from companion.link import LinkStats, SensorLink  # noqa: E402
from companion.settings import Settings  # noqa: E402
from companion.ui.app import make_app  # noqa: E402
from companion.ui.messages import LinkUpdated, PostureUpdated  # noqa: E402
from companion.ui.sensor_screen import SensorScreen  # noqa: E402


def _snapshot(flexion_deg: float) -> PostureSnapshot:
    return PostureSnapshot(12.0, flexion_deg, 1.0, Activity.STILL, EngineState.UPRIGHT, 0.0, 30.0)


async def test_posture_updates_before_the_live_screen_exists_and_under_another_screen():
    app = make_app(settings=Settings())  # no sensor remembered: the sensor screen opens on top
    app.on_posture_updated(PostureUpdated(_snapshot(7.0)))  # not composed yet
    app.on_link_updated(LinkUpdated(LinkStateChanged(LinkState.STREAMING), LinkStats()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SensorScreen)
        assert "7" in str(app.live.query_one("#flexion").value)
        app.on_posture_updated(PostureUpdated(_snapshot(21.0)))  # under the sensor screen
        await pilot.pause()
        assert app.live.snapshot.flexion_deg == 21.0  # kept, painted once in view
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.live
        assert "21" in str(app.live.query_one("#flexion").value)
        assert "streaming" in str(app.live.query_one("#connection").render())


async def test_a_link_task_that_dies_is_shown_and_restarted(monkeypatch):
    from tests.test_ui import calibrate_demo_sensor, demo_app, wait_for

    real_run = SensorLink.run
    runs = []

    async def dies_first_time(self):
        runs.append(self)
        if len(runs) == 1:
            raise RuntimeError("boom")
        await real_run(self)

    monkeypatch.setattr(SensorLink, "run", dies_first_time)
    monkeypatch.setattr("companion.ui.app.PostureApp.LINK_RESTART_S", 0.05)
    calibrate_demo_sensor()
    app = demo_app()
    async with app.run_test(size=(100, 30)):
        await wait_for(lambda: len(runs) == 2, timeout_s=10, step_s=0.02)
        assert any("stopped unexpectedly" in n.message and "boom" in n.message for n in app._notifications)
        await wait_for(lambda: app.link_state is LinkState.STREAMING, timeout_s=10, step_s=0.05)


def test_bulk_frame_encoder_matches_the_dataclass_and_decodes_back():
    import numpy as np

    from firmware_protocol.frames import pack_sample_frame

    rng = np.random.default_rng(3)
    for count in (1, 10, 19):
        raw = rng.integers(-32768, 32768, size=(count, 6))
        frame = SampleBatch(65535, (1 << 32) - 1, CONFIG, tuple(RawSample(*row) for row in raw.tolist()))
        packed = pack_sample_frame(65535, (1 << 32) - 1, CONFIG, raw.astype("<i2").tobytes())
        assert packed == bytes(frame)
        assert SampleBatch.from_bytes(packed) == frame
    with pytest.raises(ValueError):
        pack_sample_frame(0, 0, CONFIG, b"\x00" * 13)
    with pytest.raises(ValueError):
        pack_sample_frame(0, 0, CONFIG, b"\x00" * 12 * 20)


def test_with_bumble_debug_logging_on_its_own_packet_path_runs_and_logs(caplog):
    async def main():
        async with simulated_radio() as (radio, _), link_session(radio) as session:
            await session.pump(1.0)
        return session

    with caplog.at_level("DEBUG", logger="bumble"):
        session = run_virtual(main())
    assert len(session.readings) >= 40
    assert any("CONTROLLER -> HOST" in record.getMessage() for record in caplog.records)
