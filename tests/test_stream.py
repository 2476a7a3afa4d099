"""Putting frames back in order: loss, duplicates, late and reordered frames."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol import RawSample, SampleBatch, SampleSequencer, SensorConfig

CONFIG = SensorConfig(50, 4, 500)


def frames(count: int, per_frame: int = 10, first_seq: int = 0) -> list[SampleBatch]:
    out = []
    for k in range(count):
        seq = (first_seq + k * per_frame) % 65536
        t0 = (k * per_frame * 20_000) % (1 << 32)
        samples = tuple(RawSample(k, i, 8192, 0, 0, 0) for i in range(per_frame))
        out.append(SampleBatch(seq, t0, CONFIG, samples))
    return out


def run(order: list[SampleBatch], max_pending: int = 3, start_seq: int | None = 0) -> tuple[list[int], SampleSequencer]:
    sequencer = SampleSequencer(max_pending=max_pending, start_seq=start_seq)
    released = []
    for batch in order:
        released += sequencer.push(batch)
    released += sequencer.flush()
    return [item.index for item in released], sequencer


def test_in_order_stream_delivers_everything():
    indices, seq = run(frames(5))
    assert indices == [0, 10, 20, 30, 40]
    assert (seq.stats.delivered, seq.stats.lost) == (50, 0)


def test_dropped_frame_counts_its_samples_as_lost():
    stream = frames(8)
    del stream[3]
    indices, seq = run(stream)
    assert indices == [0, 10, 20, 40, 50, 60, 70]
    assert seq.stats.lost == 10
    assert seq.stats.delivered == 70


def test_duplicate_is_delivered_once():
    stream = frames(4)
    stream.insert(2, stream[1])
    indices, seq = run(stream)
    assert indices == [0, 10, 20, 30]
    assert seq.stats.duplicate_frames == 1


def test_swapped_frames_come_out_in_order():
    stream = frames(5)
    stream[1], stream[2] = stream[2], stream[1]
    indices, seq = run(stream)
    assert indices == [0, 10, 20, 30, 40]
    assert seq.stats.lost == 0
    assert seq.stats.reordered_frames == 1


def test_frame_later_than_the_window_is_lost_then_counted_late():
    stream = frames(8)
    late = stream.pop(1)
    stream.append(late)
    indices, seq = run(stream, max_pending=3)
    assert 10 not in indices
    assert seq.stats.lost == 10
    assert seq.stats.late_frames == 1


def test_sequence_and_timestamp_wrap():
    stream = frames(6, first_seq=65516)
    ordered = []
    sequencer = SampleSequencer()
    for batch in stream:
        ordered += sequencer.push(batch)
    assert [o.index for o in ordered] == [65516 + 10 * k for k in range(6)]
    assert sequencer.stats.lost == 0


def test_timestamps_unwrap_past_32_bits():
    # 2**32 us is about 71.6 minutes: a frame after the wrap must not jump back.
    per = 10
    first = SampleBatch(0, (1 << 32) - 100_000, CONFIG, tuple(RawSample(0, 0, 0, 0, 0, 0) for _ in range(per)))
    second = SampleBatch(per, 100_000, CONFIG, first.samples)
    sequencer = SampleSequencer()
    out = sequencer.push(first) + sequencer.push(second)
    assert out[1].t0_s - out[0].t0_s == pytest.approx(0.2)


@given(st.integers(0, 2**32 - 1), st.permutations(range(12)).map(list), st.integers(0, 65535))
def test_any_local_shuffle_loses_nothing_when_window_is_large(seed, perm, first_seq):
    stream = frames(12, first_seq=first_seq)
    shuffled = [stream[i] for i in perm]
    rng = random.Random(seed)
    duplicated = [*shuffled, rng.choice(stream)]
    indices, seq = run(duplicated, max_pending=12, start_seq=first_seq)
    assert len(indices) == 12
    assert indices == [first_seq + 10 * k for k in range(12)]
    assert seq.stats.lost == 0
    assert seq.stats.delivered == 120


def test_first_frame_lost_counts_when_the_start_is_known():
    indices, seq = run(frames(4)[1:], start_seq=0)
    assert indices == [10, 20, 30]
    assert seq.stats.lost == 10
