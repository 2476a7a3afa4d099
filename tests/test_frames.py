"""Frames of the open protocol against the golden vectors, and bad bytes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol import (
    ACCEL_RANGES_G,
    GYRO_RANGES_DPS,
    MAX_SAMPLES_PER_FRAME,
    RATES_HZ,
    CommandResponse,
    Configure,
    DeviceInfo,
    InvalidFrame,
    InvalidParameter,
    ProtocolError,
    RawSample,
    SampleBatch,
    SensorConfig,
    Status,
    UnsupportedVersion,
    decode_command,
    samples_per_frame,
    vectors,
)

GOLDEN = vectors.load()
DECODERS = {
    "SampleBatch": SampleBatch.from_bytes,
    "DeviceInfo": DeviceInfo.from_bytes,
    "CommandResponse": CommandResponse.from_bytes,
    "Status": Status.from_bytes,
    "Command": decode_command,
    "Configure": decode_command,
    "StartStreaming": decode_command,
    "StopStreaming": decode_command,
    "Identify": decode_command,
}
ERRORS = {"InvalidFrame": InvalidFrame, "UnsupportedVersion": UnsupportedVersion}


@pytest.mark.parametrize("vector", GOLDEN["valid"], ids=lambda v: v["name"])
def test_valid_vector_encodes_and_decodes(vector):
    frame = vectors.build(vector["frame"], vector["fields"])
    assert bytes(frame).hex() == vector["hex"]
    assert DECODERS[vector["frame"]](bytes.fromhex(vector["hex"])) == frame


@pytest.mark.parametrize("vector", GOLDEN["invalid"], ids=lambda v: v["name"])
def test_invalid_vector_is_rejected_with_the_named_error(vector):
    data = bytes.fromhex(vector["hex"])
    with pytest.raises(ERRORS[vector["error"]]) as caught:
        DECODERS[vector["frame"]](data)
    assert caught.value.data == data


def test_sample_frame_fields_decoded_from_recorded_bytes():
    """Simulated reference sensor, first notification after START at MTU 247:
    11 header (v1, samples) | 0000 seq 0 | 00000000 t0 0 us | 49 config (50 Hz, +-4 g,
    +-500 deg/s) | one sample: ax 0, ay 0, az 8192 (= 1 g), gyro 0 0 0."""
    data = bytes.fromhex("1100000000000049000000000020000000000000")
    assert SampleBatch.from_bytes(data) == SampleBatch(
        seq=0, t0_ticks=0, config=SensorConfig(50, 4, 500), samples=(RawSample(0, 0, 8192, 0, 0, 0),)
    )


def test_errors_inherit_the_matching_builtin():
    assert issubclass(InvalidFrame, ValueError) and issubclass(InvalidFrame, ProtocolError)
    assert issubclass(UnsupportedVersion, InvalidFrame)
    with pytest.raises(ValueError):
        SensorConfig(rate_hz=33)


def test_samples_per_frame_follows_the_mtu():
    assert samples_per_frame(23) == 1
    assert samples_per_frame(247) == MAX_SAMPLES_PER_FRAME
    assert samples_per_frame(247, wanted=10) == 10
    assert samples_per_frame(100) == (100 - 3 - 8) // 12


def test_out_of_range_values_are_refused_before_encoding():
    with pytest.raises(InvalidParameter, match="batch_size"):
        Configure(SensorConfig(), 0)
    with pytest.raises(InvalidParameter, match="ax"):
        RawSample(40000, 0, 0, 0, 0, 0)
    with pytest.raises(InvalidParameter, match=r"1\.\.19"):
        SampleBatch(0, 0, SensorConfig(), ())


int16 = st.integers(-32768, 32767)
configs = st.builds(
    SensorConfig,
    rate_hz=st.sampled_from(RATES_HZ),
    accel_range_g=st.sampled_from(ACCEL_RANGES_G),
    gyro_range_dps=st.sampled_from(GYRO_RANGES_DPS),
)
batches = st.builds(
    SampleBatch,
    seq=st.integers(0, 0xFFFF),
    t0_ticks=st.integers(0, 0xFFFFFFFF),
    config=configs,
    samples=st.lists(
        st.builds(RawSample, int16, int16, int16, int16, int16, int16),
        min_size=1,
        max_size=MAX_SAMPLES_PER_FRAME,
    ).map(tuple),
)


@given(batches)
def test_sample_batch_round_trip(batch):
    assert SampleBatch.from_bytes(bytes(batch)) == batch


@given(configs, st.integers(1, MAX_SAMPLES_PER_FRAME))
def test_configure_round_trip(config, batch_size):
    command = Configure(config, batch_size)
    assert decode_command(bytes(command)) == command


@pytest.mark.parametrize("decode", sorted(set(DECODERS.values()), key=lambda f: f.__qualname__))
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_only_protocol_errors(decode, data):
    with contextlib.suppress(ProtocolError):
        decode(data)


@given(batches, st.data())
def test_truncated_or_extended_frames_raise_protocol_errors(batch, data):
    raw = bytes(batch)
    cut = data.draw(st.integers(0, len(raw) - 1))
    extra = data.draw(st.binary(min_size=1, max_size=11))
    for mangled in (raw[:cut], raw + extra):
        if len(mangled) >= 20 and (len(mangled) - 8) % 12 == 0:
            continue  # still a whole number of samples: a valid, shorter/longer frame
        with pytest.raises(ProtocolError):
            SampleBatch.from_bytes(mangled)
