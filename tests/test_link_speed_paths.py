"""The fast paths of the simulated link give exactly what the plain ones give.

Receiving: a notification is decoded once as a :class:`SampleFrame` (header checked,
samples left packed, unpacked in one ``struct`` pass) instead of a
:class:`SampleBatch` of one checked ``RawSample`` per sample, and the reference
driver builds its readings straight from the unpacked counts. Sending: the
simulated sensor builds its frames with fewer array operations. Each is compared
here with the straightforward computation, on edge values.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.sessions import link_session
from companion.drivers import ReferenceDriver
from companion.readings import ImuReading
from companion.sim import ReferenceSensor
from companion.sim.clock import _JumpingSelector, run_virtual
from companion.sim.microbit import MicrobitSensor
from companion.sim.motion import FrameMotionSource, ImuNoise, NormalStream, StillWearer, trunk_rotation
from companion.sim.reference import _FrameMaker
from companion.sim.wearer import InteractiveWearer, Script, SimulatedWearer
from companion.sim.witmotion import WitMotionSensor
from companion.sim.world import simulated_radio
from firmware_protocol import (
    InvalidFrame,
    InvalidParameter,
    ProtocolError,
    RawSample,
    SampleBatch,
    SampleFrame,
    SampleSequencer,
    SensorConfig,
    UnsupportedVersion,
    uuids,
)

EDGES = (-32768, -32767, -1, 0, 1, 32766, 32767)
int16 = st.integers(-32768, 32767)
samples_st = st.lists(st.tuples(int16, int16, int16, int16, int16, int16), min_size=1, max_size=19)
configs = st.sampled_from(
    [SensorConfig(50, 4, 500), SensorConfig(200, 16, 2000), SensorConfig(10, 2, 125), SensorConfig(100, 8, 1000)]
)


def _batch(seq: int, t0: int, config: SensorConfig, rows) -> SampleBatch:
    return SampleBatch(seq, t0, config, tuple(RawSample(*row) for row in rows))


def test_edge_values_decode_as_the_batch_does() -> None:
    rows = [(a, b, c, d, e, f) for a, b, c, d, e, f in zip(EDGES, EDGES[1:], EDGES[2:], EDGES[3:], EDGES[4:], EDGES)]
    batch = _batch(65535, (1 << 32) - 1, SensorConfig(200, 16, 2000), rows)
    frame = SampleFrame.from_bytes(bytes(batch))
    assert (frame.seq, frame.t0_ticks, frame.config) == (65535, (1 << 32) - 1, SensorConfig(200, 16, 2000))
    assert frame.count == len(rows)
    assert frame.samples == batch.samples
    assert list(frame.values()) == rows == list(batch.values())
    assert frame.batch() == batch == SampleBatch.from_bytes(bytes(batch))


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF), configs, samples_st)
def test_frame_equals_batch(seq, t0, config, rows) -> None:
    batch = _batch(seq, t0, config, rows)
    frame = SampleFrame.from_bytes(bytearray(bytes(batch)))
    assert frame.batch() == batch
    assert list(frame.values()) == [tuple(row) for row in rows]
    assert frame.count == batch.count == len(rows)


def _error(decode, data: bytes):
    try:
        decode(data)
    except ProtocolError as exc:
        return type(exc), str(exc), exc.data
    return None


@given(st.binary(max_size=260))
def test_bad_bytes_fail_alike(data: bytes) -> None:
    assert _error(SampleFrame.from_bytes, data) == _error(SampleBatch.from_bytes, data)


def test_bad_frames_raise_the_protocol_errors() -> None:
    good = bytes(_batch(0, 0, SensorConfig(), [(0, 0, 8192, 0, 0, 0)]))
    with pytest.raises(UnsupportedVersion):
        SampleFrame.from_bytes(b"\x21" + good[1:])
    with pytest.raises(InvalidFrame, match="frame type"):
        SampleFrame.from_bytes(b"\x12" + good[1:])
    with pytest.raises(InvalidFrame, match="reserved sample rate"):
        SampleFrame.from_bytes(good[:7] + bytes([0xE0]) + good[8:])
    with pytest.raises(InvalidFrame, match=r"not 1\.\.19 samples"):
        SampleFrame.from_bytes(good + b"\x00")
    with pytest.raises(InvalidFrame, match=r"at least 20 bytes"):
        SampleFrame.from_bytes(good[:19])


def test_a_frame_built_by_hand_is_checked() -> None:
    assert SampleFrame(1, 2, SensorConfig(), bytes(12)).count == 1
    for seq, t0, body in ((-1, 0, bytes(12)), (0x10000, 0, bytes(12)), (0, 1 << 32, bytes(12))):
        with pytest.raises(InvalidParameter):
            SampleFrame(seq, t0, SensorConfig(), body)
    for size in (0, 11, 13, 12 * 20):
        with pytest.raises(InvalidParameter):
            SampleFrame(0, 0, SensorConfig(), bytes(size))


def test_sequencer_counts_frames_as_batches() -> None:
    config = SensorConfig(50, 4, 500)
    by_batch, by_frame = SampleSequencer(start_seq=0), SampleSequencer(start_seq=0)
    seqs = [0, 10, 30, 20, 40, 40, 50, 90, 100]  # a gap, reordering, a duplicate, a loss
    for seq in seqs:
        batch = _batch(seq, seq * 20_000, config, [(seq, 0, 8192, 0, 0, 0)] * 10)
        a = by_batch.push(batch)
        b = by_frame.push(SampleFrame.from_bytes(bytes(batch)))
        assert [(o.index, o.t0_s, o.restarted, o.batch.count) for o in a] == [
            (o.index, o.t0_s, o.restarted, o.batch.count) for o in b
        ]
    assert by_batch.stats == by_frame.stats


def _plain_readings(driver_state: dict, ordered, arrival_s: float | None) -> list[ImuReading]:
    """The reference driver's readings computed the plain way: a checked batch, and
    one ImuReading() per RawSample."""
    out = []
    for item in ordered:
        batch = item.batch.batch() if isinstance(item.batch, SampleFrame) else item.batch
        config = batch.config
        period_s = 1.0 / config.rate_hz
        if item.restarted:
            driver_state["anchor"] = None
            driver_state["seq_base"] = driver_state["next_seq"]
        if driver_state["anchor"] is None:
            last_device_s = item.t0_s + (len(batch.samples) - 1) * period_s
            host_s = arrival_s if arrival_s is not None else last_device_s
            driver_state["anchor"] = (host_s, last_device_s)
            driver_state["first_index"] = item.index
        host0, device0 = driver_state["anchor"]
        accel_scale = config.accel_range_g / 32768.0
        gyro_scale = config.gyro_range_dps / 32768.0
        seq0 = driver_state["seq_base"] + item.index - driver_state["first_index"]
        for i, s in enumerate(batch.samples):
            t_s = host0 + item.t0_s + i * period_s - device0
            if t_s <= driver_state["last_t_s"]:
                t_s = driver_state["last_t_s"] + period_s
            driver_state["last_t_s"] = t_s
            out.append(
                ImuReading(
                    t_s,
                    (s.ax * accel_scale, s.ay * accel_scale, s.az * accel_scale),
                    (s.gx * gyro_scale, s.gy * gyro_scale, s.gz * gyro_scale),
                    seq0 + i,
                )
            )
        driver_state["next_seq"] = seq0 + len(batch.samples)
    return out


def test_driver_readings_equal_the_plain_computation() -> None:
    """Edge counts, a clock that wraps, a glitched timestamp, a restart of counter and
    clock (time kept moving), a gap and a duplicate: the same readings, bit for bit."""
    config = SensorConfig(200, 16, 2000)
    rng = np.random.default_rng(3)
    driver = ReferenceDriver(config, 19)
    driver.start_steps()
    oracle = SampleSequencer(start_seq=0)
    state = {"anchor": None, "seq_base": 0, "first_index": 0, "next_seq": 0, "last_t_s": float("-inf")}
    plan = [(seq, (1 << 32) - 500_000 + seq * 5_000) for seq in range(0, 19 * 30, 19)]
    plan[5] = (plan[5][0], 3_000_000)  # one glitched timestamp, seconds off
    plan[12:13] = []  # a lost frame
    plan.insert(15, plan[14])  # a duplicate
    plan += [(seq, 9_000_000 + seq * 5_000) for seq in range(0, 19 * 5, 19)]  # restarted counter and clock
    arrival_s = 1000.0
    for seq, ticks in plan:
        rows = rng.integers(-32768, 32768, (19, 6)).tolist()
        rows[0] = [-32768, 32767, 0, -32768, 32767, -1]
        data = bytes(_batch(seq % 65536, ticks % (1 << 32), config, rows))
        arrival_s += 0.095
        got = driver.feed(uuids.DATA_CHAR, data, arrival_s)
        want = _plain_readings(state, oracle.push(SampleBatch.from_bytes(data)), arrival_s)
        assert got == want
        for reading in got:
            assert type(reading) is ImuReading
            assert all(type(v) is float for v in (*reading.accel_g, *reading.gyro_dps))
    assert driver.finish() == _plain_readings(state, oracle.flush(), None)
    stats = oracle.stats
    assert (stats.restarts, stats.time_repairs, stats.duplicate_frames, stats.lost) == (1, 1, 1, 19)
    assert driver.lost_samples == oracle.stats.lost
    assert driver.time_repairs == oracle.stats.time_repairs


# -- sending: the simulated sensor's frames --------------------------------------


class _PlainStillWearer:
    """StillWearer as it samples plainly: two generator calls per frame."""

    def __init__(self, seed: int = 0, flexion_deg: float = 0.0, mounting=None) -> None:
        noise = ImuNoise()
        self._rng = np.random.default_rng(seed)
        self.noise = noise
        self.gyro_bias_dps = self._rng.normal(0.0, noise.gyro_bias_dps, 3)
        mounting = np.eye(3) if mounting is None else mounting
        self._gravity_sensor_g = (trunk_rotation(flexion_deg) @ mounting).T @ np.array([0.0, 0.0, 1.0])

    def sample(self, times_s):
        n = len(times_s)
        accel = self._gravity_sensor_g + self._rng.normal(0.0, self.noise.accel_noise_g, (n, 3))
        gyro = self.gyro_bias_dps + self._rng.normal(0.0, self.noise.gyro_noise_dps, (n, 3))
        return accel, gyro


class _OneFrameAtATime:
    """Hides ``sample_frames``: the sender must sample each frame when it is due."""

    def __init__(self, motion) -> None:
        self.motion = motion

    def sample(self, times_s):
        return self.motion.sample(times_s)


class _Loud:
    """A pure motion source far beyond every range: saturation at both ends."""

    revision = 0

    def sample(self, times_s):
        return self.sample_frames(np.asarray(times_s)[None])[0][0], self.sample_frames(np.asarray(times_s)[None])[1][0]

    def sample_frames(self, times_s):
        t = np.asarray(times_s, float)[..., None]
        wave = np.sin(t * np.array([1.0, 2.0, 3.0]))
        return 40.0 * wave, 9000.0 * wave

    def unsample_frames(self, frames: int, samples: int) -> None:
        pass


def test_normal_stream_equals_one_generator_call_at_a_time() -> None:
    plain, stream = np.random.default_rng(9), NormalStream(np.random.default_rng(9))
    for size in (1, 30, 8191, 2, 20_000, 60):
        last = plain.standard_normal(size)
        assert np.array_equal(stream.take(size), last)
    stream.give_back(60)
    assert np.array_equal(stream.take(60), last)
    assert np.array_equal(stream.take(9000), plain.standard_normal(9000))
    with pytest.raises(ValueError):
        stream.give_back(10**6)


def test_still_wearer_block_equals_per_frame_and_plain_draws() -> None:
    mounting = trunk_rotation(20.0, 5.0)
    plain = _PlainStillWearer(seed=4, flexion_deg=12.0, mounting=mounting)
    per_frame = StillWearer(seed=4, flexion_deg=12.0, mounting=mounting)
    block = StillWearer(seed=4, flexion_deg=12.0, mounting=mounting)
    assert isinstance(block, FrameMotionSource)
    times = np.arange(50 * 19).reshape(50, 19) / 200.0
    accel_b, gyro_b = block.sample_frames(times)
    for k in range(50):
        accel_p, gyro_p = plain.sample(times[k])
        accel_f, gyro_f = per_frame.sample(times[k])
        assert np.array_equal(accel_f, accel_p) and np.array_equal(gyro_f, gyro_p)
        assert np.array_equal(accel_b[k], accel_p) and np.array_equal(gyro_b[k], gyro_p)


def test_frames_given_back_are_drawn_again() -> None:
    plain, block = _PlainStillWearer(seed=2), StillWearer(seed=2)
    times = np.zeros((20, 10))
    block.sample_frames(times)
    block.unsample_frames(13, 10)  # seven frames sent, thirteen given back
    for _ in range(7):
        plain.sample(times[0])
    for _ in range(25):
        assert all(np.array_equal(a, b) for a, b in zip(block.sample(times[0]), plain.sample(times[0])))


def _bodies(motion, config, requests):
    """What _FrameMaker hands out for a list of (index, count, boot_s) or "close"."""
    maker = _FrameMaker(motion, config, started_s=3.7)
    out = []
    for request in requests:
        if request == "close":
            maker.close()
        else:
            out.append(maker.take(*request))
    maker.close()
    return out


@pytest.mark.parametrize("config", [SensorConfig(50, 4, 500), SensorConfig(200, 2, 125), SensorConfig(10, 16, 2000)])
def test_frames_built_ahead_equal_frames_built_when_due(config: SensorConfig) -> None:
    """Built ahead or one at a time: the same bytes, through a change of batch size,
    a stream that ends mid-block (its unsent frames given back) and a reboot."""
    requests = [(i * 10, 10, 0.0) for i in range(37)]
    requests += [(370 + i * 19, 19, 0.0) for i in range(30)]
    requests += ["close"] + [(i * 10, 10, 0.0) for i in range(12)]  # a new stream
    requests += [(120 + i * 10, 10, 55.5) for i in range(40)]  # rebooted: new boot time
    ahead = _bodies(StillWearer(seed=7), config, requests)
    when_due = _bodies(_OneFrameAtATime(StillWearer(seed=7)), config, requests)
    plain = _bodies(_OneFrameAtATime(_PlainStillWearer(seed=7)), config, requests)
    assert ahead == when_due == plain


def test_frames_saturate_and_round_as_one_frame_does() -> None:
    config = SensorConfig(100, 2, 125)
    requests = [(i * 7, 7, 1.25) for i in range(100)]
    assert isinstance(_Loud(), FrameMotionSource)
    ahead = _bodies(_Loud(), config, requests)
    assert ahead == _bodies(_OneFrameAtATime(_Loud()), config, requests)
    counts = np.frombuffer(b"".join(ahead), "<i2").reshape(-1, 6)
    assert counts.min() == -32768 and counts.max() == 32767
    # One frame by hand, the plain way.
    times = 3.7 + (np.arange(7) + 7 * 5) / 100.0 - 1.25
    accel, gyro = _Loud().sample(times)
    scaled = np.concatenate((accel * (32768.0 / 2), gyro * (32768.0 / 125)), axis=1)
    assert ahead[5] == np.rint(scaled).clip(-32768, 32767).astype("<i2").tobytes()


def test_the_link_delivers_the_same_readings_whether_frames_are_built_ahead_or_not() -> None:
    """End to end, with a stall (the stream ends mid-block and restarts) and a batch
    size other than the default."""

    async def readings(motion):
        factory = lambda radio: ReferenceSensor(radio, motion=motion, batch_size=7)  # noqa: E731
        async with simulated_radio(factory) as (radio, [sensor]):
            async with link_session(radio, driver=ReferenceDriver(SensorConfig(100, 8, 1000), 7)) as session:
                await session.pump(13.0)
                await sensor.stall(8.0)
                await session.pump(30.0)
        assert session.link.stats.stalls == 1
        return session.readings

    ahead = run_virtual(readings(StillWearer(seed=11, flexion_deg=20.0)))
    when_due = run_virtual(readings(_OneFrameAtATime(StillWearer(seed=11, flexion_deg=20.0))))
    assert len(ahead) > 3000
    assert ahead == when_due


@pytest.mark.parametrize("jitter_s", [0.0005, 0.0])
def test_a_scripted_wearer_draws_a_block_of_rows_as_one_sample_call_a_row(jitter_s: float) -> None:
    """Jitter, noise and a mounting slip: a block equals its rows drawn one call at
    a time, frames of one sample included, and rows given back are drawn again."""
    script = Script().sit(20).slump(24.0, 10.0, 20.0).walk(15).side_lean(12.0, 20.0)

    def wearer() -> SimulatedWearer:
        return SimulatedWearer(script, slips=[(31.0, trunk_rotation(15.0, 5.0))], timestamp_jitter_s=jitter_s, seed=5)

    for size in (1, 7):
        times = 0.5 + np.arange(300 * size).reshape(300, size) / 50.0
        block, rows = wearer(), wearer()
        assert isinstance(block, FrameMotionSource)
        accel_b, gyro_b = block.sample_frames(times)
        block.unsample_frames(120, size)
        again_a, again_g = block.sample_frames(times[180:])
        for k in range(300):
            accel, gyro = rows.sample(times[k])
            assert np.array_equal(accel_b[k], accel) and np.array_equal(gyro_b[k], gyro)
            if k >= 180:
                assert np.array_equal(again_a[k - 180], accel) and np.array_equal(again_g[k - 180], gyro)


def _live_bodies(wearer_source, config, requests):
    """As :func:`_bodies`, where a request may also be a movement the wearer is told."""
    wearer = InteractiveWearer(seed=3)
    maker = _FrameMaker(wearer_source(wearer), config, started_s=0.0)
    out = []
    for request in requests:
        if callable(request):
            request(wearer)
        else:
            out.append(maker.take(*request))
    maker.close()
    return out, wearer.current


def test_a_live_wearer_moves_at_the_next_frame_sent_whether_frames_are_built_ahead_or_not() -> None:
    """A wearer driven by keys: frames built ahead before a key are given back and
    built again, so a movement starts at the same sample either way."""
    config = SensorConfig(50, 4, 500)
    requests: list = [(i * 10, 10, 0.0) for i in range(7)]
    requests += [InteractiveWearer.slouch] + [(70 + i * 10, 10, 0.0) for i in range(20)]
    requests += [InteractiveWearer.stand, InteractiveWearer.walk] + [(270 + i * 10, 10, 0.0) for i in range(3)]
    requests += [lambda w: w.move_to(5.0, 10.0, 30.0)] + [(300 + i * 10, 10, 0.0) for i in range(30)]
    ahead, activity = _live_bodies(lambda w: w, config, requests)
    when_due, activity_when_due = _live_bodies(_OneFrameAtATime, config, requests)
    assert ahead == when_due and activity == activity_when_due
    # The movements show: the flexion counts of the first frame and of one inside the slouch differ.
    still = _live_bodies(lambda w: w, config, [r for r in requests if not callable(r)])[0]
    assert ahead[:7] == still[:7] and ahead[20] != still[20]


@pytest.mark.parametrize("kind", [MicrobitSensor, WitMotionSensor])
def test_one_sample_a_notification_is_the_same_drawn_ahead_or_when_due(kind) -> None:
    """The micro:bit and the WitMotion send a sample or two a notification; drawn
    ahead from a scripted wearer, they send what they would have sent sampling it
    at each notification, through a rate change and a reconnection."""

    async def readings(motion):
        async with simulated_radio(lambda radio: kind(radio, motion=motion, seed=4)) as (radio, [sensor]):
            async with link_session(radio) as session:
                await session.pump(6.0)
                if isinstance(sensor, MicrobitSensor):
                    sensor.period_ms = 10
                else:
                    sensor.rate_hz = 50
                    sensor.restart_stream()
                await session.pump(6.0)
                await sensor.disconnect()
                await session.pump(6.0)
        return [(r.t_s, r.accel_g, r.gyro_dps) for r in session.readings]

    def wearer() -> SimulatedWearer:
        return SimulatedWearer(Script().sit(10).slump(20.0, 8.0, 30.0), seed=8)

    ahead = run_virtual(readings(wearer()))
    when_due = run_virtual(readings(_OneFrameAtATime(wearer())))
    assert len(ahead) > 300
    assert ahead == when_due


# -- the virtual clock's selector --------------------------------------------------


def test_a_signal_is_handled_while_callbacks_keep_the_loop_busy() -> None:
    """With only the loop's self-pipe registered, the selector polls it at most every
    few busy turns, not never: a signal still reaches its handler."""
    import os
    import signal

    async def main() -> int:
        loop = asyncio.get_running_loop()
        got = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, got.set)
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            turns = 0
            while not got.is_set():
                await asyncio.sleep(0)  # always something ready: no timer wait
                turns += 1
                assert turns < 1000
            return turns
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    assert run_virtual(main()) <= 2 * _JumpingSelector.MAX_UNPOLLED_TURNS + 2


def test_a_socket_is_polled_on_every_turn() -> None:
    """Once a socket is watched, every turn polls: its data is read as soon as it
    arrives, however busy the loop is."""
    import socket

    async def main() -> int:
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        readable = asyncio.Event()
        loop.add_reader(a.fileno(), readable.set)
        try:
            b.send(b"x")
            turns = 0
            while not readable.is_set():
                await asyncio.sleep(0)
                turns += 1
            return turns
        finally:
            loop.remove_reader(a.fileno())
            a.close()
            b.close()

    assert run_virtual(main()) <= 2
