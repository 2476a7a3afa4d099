"""The companion's link against a simulated sensor, over bleak and the virtual radio.

Every test runs on the virtual clock: simulated minutes take milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError

from benchmarks.sessions import link_session
from companion.ble.transport import BleTransport
from companion.link import (
    BatteryChanged,
    LinkFailed,
    LinkState,
    LinkStateChanged,
    SensorConnected,
    scan,
)
from companion.sim import FaultPlan, ReferenceSensor, VirtualRadio
from companion.sim.clock import run_virtual
from companion.sim.world import simulated_radio
from firmware_protocol import DeviceInfo, uuids

BATCH = 10  # samples per notification in the simulated sensor's default setup


def states(session) -> list[LinkState]:
    return [e.state for e in session.events if isinstance(e, LinkStateChanged)]


def assert_contiguous(readings) -> None:
    seqs = [r.seq for r in readings]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    times = [r.t_s for r in readings]
    assert all(b > a for a, b in itertools.pairwise(times))


def test_scan_lists_the_simulated_sensor():
    async def main():
        async with simulated_radio() as (radio, [sensor]):
            found = await scan(BleTransport.virtual(radio), timeout_s=0.5)
        assert [(f.name, f.address, f.kind) for f in found] == [("Posture1", sensor.address, "reference")]
        assert found[0].rssi < 0

    run_virtual(main())


def test_scanner_backend_filters_on_service_uuids():
    async def main():
        async with simulated_radio() as (radio, _):
            kwargs = BleTransport.virtual(radio).scanner_kwargs
            wanted = await BleakScanner.discover(0.5, service_uuids=[uuids.SENSOR_SERVICE], **kwargs)
            other = await BleakScanner.discover(0.5, service_uuids=[uuids.BATTERY_SERVICE], **kwargs)
        assert [d.name for d in wanted] == ["Posture1"]
        assert other == []

    run_virtual(main())


def test_connect_reads_protocol_info_device_details_and_battery():
    async def main():
        async with simulated_radio() as (radio, [_sensor]), link_session(radio) as session:
            connected = await session.until(lambda e: isinstance(e, SensorConnected))
            driver = session.link.driver
            assert connected.battery_percent == 87
            assert connected.model == "XIAO nRF52840 Sense (sim)"
            assert connected.firmware == "1.0.0-sim"
            assert connected.mtu == 247
            assert connected.rate_hz == 50
            assert driver.info is not None and driver.info.major == 1
            assert driver.details.serial == "SIM-0001"
            assert driver.has_vibration

    run_virtual(main())


def test_battery_change_reaches_the_link():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.until(lambda e: isinstance(e, SensorConnected))
            await sensor.set_battery(41)
            event = await session.until(lambda e: isinstance(e, BatteryChanged), timeout_s=5)
            assert event.percent == 41

    run_virtual(main())


def test_stream_delivers_every_sample_in_order():
    async def main():
        async with simulated_radio() as (radio, _), link_session(radio) as session:
            await session.pump(60.0)
        stats = session.link.stats
        assert 2900 <= len(session.readings) <= 3000
        assert_contiguous(session.readings)
        assert session.readings[0].seq == 0
        steps = [b.t_s - a.t_s for a, b in zip(session.readings, session.readings[1:])]
        assert max(steps) == pytest.approx(0.02, abs=1e-6)
        assert (stats.lost, stats.malformed, stats.duplicates) == (0, 0, 0)
        accel_z = [r.accel_g[2] for r in session.readings]
        assert sum(accel_z) / len(accel_z) == pytest.approx(1.0, abs=0.01)

    run_virtual(main())


async def _stream_with(fault: str, count: int = 1):
    """Stream, inject one fault into the data notifications, keep streaming."""
    async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
        await session.pump(5.0)
        sensor.faults.inject(fault, count)
        await session.pump(10.0)
    return sensor, session


def test_dropped_notifications_show_as_lost_samples():
    _sensor, session = run_virtual(_stream_with("drop", 3))
    assert session.link.stats.lost == 3 * BATCH
    assert session.link.stats.malformed == 0
    seqs = [r.seq for r in session.readings]
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs)
    assert seqs[-1] + 1 - seqs[0] == len(seqs) + 3 * BATCH


def test_duplicated_notification_is_delivered_once():
    _, session = run_virtual(_stream_with("duplicate"))
    assert_contiguous(session.readings)
    assert session.link.stats.duplicates == 1
    assert session.link.stats.lost == 0


def test_delayed_notification_arrives_out_of_order_and_is_put_back():
    sensor, session = run_virtual(_stream_with("delay"))
    assert sensor.faults.delay_s > 0.2  # later than the next notification
    assert_contiguous(session.readings)
    assert session.link.stats.lost == 0


def test_corrupted_notification_is_counted_and_dropped():
    _, session = run_virtual(_stream_with("corrupt", 2))
    stats = session.link.stats
    assert stats.malformed == 2
    assert stats.lost == 2 * BATCH
    assert len(session.readings) > 600  # streaming went on


def test_split_notification_is_two_malformed_fragments():
    _, session = run_virtual(_stream_with("split"))
    assert session.link.stats.malformed == 2
    assert session.link.stats.lost == BATCH


def test_random_faults_account_for_every_sample():
    async def main():
        faults = FaultPlan(drop_rate=0.05, duplicate_rate=0.05, corrupt_rate=0.05, seed=7)
        async with simulated_radio(lambda radio: ReferenceSensor(radio, faults=faults)) as (radio, _):
            async with link_session(radio) as session:
                await session.pump(120.0)
        stats = session.link.stats
        assert stats.malformed > 0 and stats.duplicates > 0 and stats.lost > 0
        seqs = [r.seq for r in session.readings]
        assert seqs == sorted(set(seqs))
        assert stats.received + stats.lost == seqs[-1] + 1

    run_virtual(main())


def test_peripheral_disconnect_reconnects_and_streaming_resumes():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.pump(5.0)
            before = len(session.readings)
            await sensor.disconnect()
            await session.until(lambda e: isinstance(e, LinkStateChanged) and e.state is LinkState.RECONNECTING)
            await session.until(lambda e: isinstance(e, LinkStateChanged) and e.state is LinkState.STREAMING)
            await session.pump(5.0)
        assert len(session.readings) > before + 200
        assert session.link.stats.reconnects == 1
        assert sensor.connections_accepted == 2
        seqs = [r.seq for r in session.readings]
        assert seqs == list(range(len(seqs)))  # indices continue across the reconnection
        assert states(session)[-1] is LinkState.STOPPED

    run_virtual(main())


def test_sensor_switched_off_is_reported_lost_and_retried():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio, lost_after_s=20.0) as session:
            await session.pump(2.0)
            await sensor.stop()
            await session.until(
                lambda e: isinstance(e, LinkStateChanged) and e.state is LinkState.LOST,
                timeout_s=120,
            )
        assert "not in range" in session.link.stats.last_error

    run_virtual(main())


class _FutureFirmware(ReferenceSensor):
    def device_info(self) -> DeviceInfo:
        info = super().device_info()
        return DeviceInfo(2, 0, info.config, info.batch_size, info.flags)


def test_unknown_protocol_version_fails_with_a_clear_reason():
    async def main():
        async with simulated_radio(_FutureFirmware) as (radio, _), link_session(radio) as session:
            failed = await session.until(lambda e: isinstance(e, LinkFailed))
        assert "protocol v2" in failed.reason
        assert "update" in failed.reason
        assert session.readings == []

    run_virtual(main())


def test_alert_reaches_the_immediate_alert_service():
    async def main():
        async with simulated_radio() as (radio, [sensor]), link_session(radio) as session:
            await session.until(lambda e: isinstance(e, SensorConnected))
            assert await session.link.alert(2)
            await asyncio.sleep(0.1)
        assert sensor.alert_levels == [2]

    run_virtual(main())


async def _connected_client(radio: VirtualRadio) -> BleakClient:
    transport = BleTransport.virtual(radio)
    [found] = await scan(transport, 0.5)
    client = BleakClient(found.device, **transport.client_kwargs)
    await client.connect()
    return client


def test_writing_a_read_only_characteristic_is_refused_promptly():
    async def main():
        async with simulated_radio() as (radio, _):
            client = await _connected_client(radio)
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(BleakGATTProtocolError):
                await client.write_gatt_char(uuids.INFO_CHAR, b"\x00", response=True)
            assert loop.time() - started < 1.0
            info = DeviceInfo.from_bytes(await client.read_gatt_char(uuids.INFO_CHAR))
            assert info.major == 1
            await client.disconnect()

    run_virtual(main())


def test_control_point_rejects_bad_commands():
    async def main():
        async with simulated_radio() as (radio, _):
            client = await _connected_client(radio)
            responses = []
            await client.start_notify(uuids.CONTROL_CHAR, lambda _c, data: responses.append(bytes(data)))
            await client.write_gatt_char(uuids.CONTROL_CHAR, b"\x7f", response=True)
            await client.write_gatt_char(uuids.CONTROL_CHAR, b"\x03\x49\x00", response=True)
            await client.write_gatt_char(uuids.CONTROL_CHAR, b"\x04\x02", response=True)
            await asyncio.sleep(0.1)
            await client.disconnect()
        assert responses == [bytes.fromhex("807f01"), bytes.fromhex("800302"), bytes.fromhex("800400")]

    run_virtual(main())


def test_disconnect_during_a_read_is_a_bleak_error():
    async def main():
        async with simulated_radio() as (radio, [sensor]):
            client = await _connected_client(radio)
            read = asyncio.ensure_future(client.read_gatt_char(uuids.INFO_CHAR))
            await sensor.disconnect()
            with pytest.raises(BleakError):
                await read
                # the read may finish before the link drops; the next one cannot
                await client.read_gatt_char(uuids.INFO_CHAR)

    run_virtual(main())


def test_engine_detects_a_slouch_through_the_radio():
    """The whole path: simulated wearer -> GATT server -> bleak -> link -> engine."""
    from companion.engine import EngineSettings, PostureEngine, SlouchAlerted
    from companion.link import ReadingsReceived
    from companion.sim.wearer import Script, SimulatedWearer

    async def main():
        wearer = SimulatedWearer(Script().calibration().sit(10).slump(20, 10, 40).sit(10), seed=3)
        engine = PostureEngine(EngineSettings(delay_s=15))
        engine.start_calibration()
        events = []
        async with simulated_radio(lambda radio: ReferenceSensor(radio, motion=wearer)) as (radio, _):
            async with link_session(radio) as session:
                loop = asyncio.get_running_loop()
                end = loop.time() + wearer.duration_s
                while loop.time() < end:
                    event = await session.link.events.get()
                    if isinstance(event, ReadingsReceived):
                        events += engine.process(event.readings)
        return events

    events = run_virtual(main())
    alerts = [e for e in events if isinstance(e, SlouchAlerted)]
    assert len(alerts) == 1
