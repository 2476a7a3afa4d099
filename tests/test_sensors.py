"""Every supported sensor kind, through its simulated twin on the virtual radio."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.sessions import link_session
from companion.ble.transport import BleTransport
from companion.drivers import MicrobitDriver, UprightGoDriver, WitMotionDriver
from companion.drivers.upright import battery_from_index
from companion.drivers.witmotion import WitFrameParser, battery_percent
from companion.engine import EngineSettings, PostureEngine, SlouchAlerted
from companion.link import ReadingsReceived, SensorConnected, scan
from companion.sim.clock import run_virtual
from companion.sim.microbit import MicrobitSensor
from companion.sim.upright import UprightGoSensor
from companion.sim.wearer import Script, SimulatedWearer
from companion.sim.witmotion import WitMotionSensor
from companion.sim.world import ALL_KINDS, simulated_radio

SLOUCHING = Script().sit(4).calibration().sit(10).slump(22, 10, 40).sit(10)


def test_scan_lists_every_kind_once():
    async def main():
        async with simulated_radio(*ALL_KINDS) as (radio, _):
            return await scan(BleTransport.virtual(radio), 1.0)

    kinds = sorted(f.kind for f in run_virtual(main()))
    assert kinds == ["microbit", "reference", "upright_go", "witmotion"]


@pytest.mark.parametrize("sensor_class", [WitMotionSensor, UprightGoSensor, MicrobitSensor])
def test_engine_detects_a_slouch_through_each_kind(sensor_class):
    async def main():
        wearer = SimulatedWearer(SLOUCHING, seed=2)
        async with simulated_radio(lambda radio: sensor_class(radio, motion=wearer)) as (radio, [sensor]):
            async with link_session(radio) as session:
                connected = await session.until(lambda e: isinstance(e, SensorConnected), timeout_s=30)
                engine = PostureEngine(EngineSettings(delay_s=15), rate_hz=connected.rate_hz or 50)
                engine.start_calibration()
                events = []
                loop = asyncio.get_running_loop()
                end = sensor.boot_s + wearer.duration_s
                while loop.time() < end:
                    event = await session.link.events.get()
                    if isinstance(event, ReadingsReceived):
                        events += engine.process(event.readings)
                return connected, events, session.link.stats

    connected, events, stats = run_virtual(main())
    assert connected.kind == sensor_class.kind
    assert [type(e) for e in events].count(SlouchAlerted) == 1
    assert stats.malformed == 0


# -- WitMotion ------------------------------------------------------------------------


def test_witmotion_parser_gives_the_same_frames_for_any_chunking():
    sim = WitMotionSensor.__new__(WitMotionSensor)
    frames = [WitMotionSensor.data_frame(sim, (0.01 * k, 0.0, 1.0), (0.0, 1.0 * k, 0.0)) for k in range(20)]
    frames.insert(7, b"\x55\x71" + bytes([0x64, 0x00, 0x83, 0x01]) + bytes(14))  # a register reply
    stream = b"\x00\x13garbage" + b"".join(frames)

    @given(st.lists(st.integers(1, 45), min_size=1, max_size=60), st.integers(0, 2**32 - 1))
    def check(sizes, seed):
        parser = WitFrameParser()
        out, position, rng = [], 0, random.Random(seed)
        while position < len(stream):
            size = sizes[rng.randrange(len(sizes))]
            out += parser.feed(stream[position : position + size])
            position += size
        assert out == frames

    check()


def test_witmotion_quirks_over_the_radio():
    async def main():
        async with simulated_radio(lambda radio: WitMotionSensor(radio, battery_volts=3.87)) as (radio, [sensor]):
            async with link_session(radio) as session:
                await session.until(lambda e: isinstance(e, SensorConnected), timeout_s=30)
                await session.pump(10.0)
                return sensor, session

    sensor, session = run_virtual(main())
    assert sensor.refused == 1  # the first connection was dropped; the link retried
    assert sensor.rate_hz == 50 and sensor.saved  # unlock, rate code 0x08, save
    assert session.link.driver.battery_percent == 75  # register 0x64 = 3.87 V
    assert session.link.stats.malformed == 0
    seqs = [r.seq for r in session.readings]
    assert seqs == list(range(len(seqs))) and len(seqs) > 400  # split/concatenated frames all decoded
    times = [r.t_s for r in session.readings]
    assert all(b > a for a, b in itertools.pairwise(times))


def test_witmotion_battery_table():
    assert [battery_percent(v) for v in (3.3, 3.7, 3.79, 3.87, 3.96, 4.1)] == [0, 20, 50, 75, 100, 100]


def test_witmotion_uuids_are_on_the_vendor_base():
    from companion.drivers.witmotion import WIT_NOTIFY

    assert WIT_NOTIFY.endswith("9a34fb") and not WIT_NOTIFY.endswith("9b34fb")
    assert WitMotionDriver.matches("WT901BLE68", []) and not WitMotionDriver.matches("Posture1", [])


# -- Upright GO 2 ----------------------------------------------------------------------


def test_upright_go_quirks_over_the_radio():
    async def main():
        async with simulated_radio(UprightGoSensor) as (radio, [sensor]), link_session(radio) as session:
            connected = await session.until(lambda e: isinstance(e, SensorConnected), timeout_s=30)
            await session.pump(5.0)
            # One connection at a time: while connected it does not advertise.
            again = await scan(BleTransport.virtual(radio), 1.0)
            await session.link.client_write(UprightGoDriver().calibrate_step())
            await asyncio.sleep(0.2)
            return sensor, session, connected, again

    sensor, session, connected, again = run_virtual(main())
    assert connected.battery_percent == 70  # level index 9
    assert sensor.vibration_writes == [b"\x00\x00"] and sensor.vibration_on  # the mode written twice
    assert sensor.freestyle[1:3] == (300).to_bytes(2, "little")  # our 30 s delay
    assert sensor.calibrations == [2]  # its own silent calibration
    assert again == []
    span = session.readings[-1].t_s - session.readings[0].t_s
    assert (len(session.readings) - 1) / span == pytest.approx(15.0, rel=0.05)
    assert all(r.gyro_dps is None for r in session.readings)


def test_upright_go_single_byte_vibration_is_ignored_and_levels_map():
    sensor = UprightGoSensor.__new__(UprightGoSensor)
    sensor.vibration_writes, sensor.vibration_on = [], True
    UprightGoSensor._on_vibration(sensor, None, b"\x01")
    assert sensor.vibration_on
    UprightGoSensor._on_vibration(sensor, None, b"\x01\x01")
    assert not sensor.vibration_on
    assert [battery_from_index(i) for i in (0, 1, 2, 3, 12)] == [None, 0, 5, 10, 100]


# -- micro:bit ---------------------------------------------------------------------------


def test_microbit_period_is_snapped_and_read_back():
    async def main():
        driver = MicrobitDriver(period_ms=25)
        async with simulated_radio(MicrobitSensor) as (radio, [sensor]):
            async with link_session(radio, driver=driver) as session:
                await session.until(lambda e: isinstance(e, SensorConnected), timeout_s=30)
                await session.pump(4.0)
        return sensor, driver, session

    sensor, driver, session = run_virtual(main())
    assert sensor.period_writes == [25]
    assert driver.actual_period_ms == 20 and driver.rate_hz == 50
    gaps = [b.t_s - a.t_s for a, b in zip(session.readings, session.readings[1:])]
    assert min(gaps) < 0.015 and max(gaps) > 0.03  # bursty, and still in order
    assert all(g > 0 for g in gaps)
    assert all(r.gyro_dps is None for r in session.readings)
