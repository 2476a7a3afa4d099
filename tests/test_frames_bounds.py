"""Every range bound of the protocol frames, checked on both sides, and the constants.

The golden vectors pin the byte layout; these pin the edges (one below, at, one
above each limit) so an off-by-one in a check fails here.
"""

from __future__ import annotations

import struct

import pytest

from firmware_protocol import frames
from firmware_protocol.errors import InvalidFrame, InvalidParameter, UnsupportedVersion
from firmware_protocol.frames import (
    ACCEL_RANGES_G,
    ATT_HEADER_SIZE,
    GYRO_RANGES_DPS,
    MAX_SAMPLES_PER_FRAME,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    RATES_HZ,
    RESPONSE_MARKER,
    SAMPLE_HEADER_SIZE,
    SAMPLE_SIZE,
    CommandResponse,
    Configure,
    DeviceFlags,
    DeviceInfo,
    Identify,
    RawSample,
    ResultCode,
    SampleBatch,
    SensorConfig,
    StartStreaming,
    Status,
    StatusFlags,
    StopStreaming,
    StreamState,
    decode_command,
    pack_sample_frame,
    samples_per_frame,
)

CONFIG = SensorConfig()
SAMPLE = RawSample(1, -2, 3, -4, 5, -6)


def test_constants_are_the_protocol_v1_ones():
    assert (PROTOCOL_MAJOR, PROTOCOL_MINOR) == (1, 0)
    assert ACCEL_RANGES_G == (2, 4, 8, 16)
    assert GYRO_RANGES_DPS == (125, 250, 500, 1000, 2000)
    assert RATES_HZ == (10, 25, 50, 100, 200)
    assert (SAMPLE_HEADER_SIZE, SAMPLE_SIZE, MAX_SAMPLES_PER_FRAME, ATT_HEADER_SIZE) == (8, 12, 19, 3)
    assert RESPONSE_MARKER == 0x80
    assert DeviceInfo.SIZE == 12
    assert SAMPLE_HEADER_SIZE + MAX_SAMPLES_PER_FRAME * SAMPLE_SIZE == 236  # fits MTU 247


# -- how many samples fit a notification -------------------------------------------------


@pytest.mark.parametrize(
    ("mtu", "expected"),
    [(0, 1), (10, 1), (23, 1), (34, 1), (35, 2), (46, 2), (47, 3), (238, 18), (239, 19), (247, 19), (512, 19)],
)
def test_samples_per_frame_at_each_mtu_edge(mtu, expected):
    assert samples_per_frame(mtu) == expected


def test_samples_per_frame_is_capped_by_the_wish_but_never_below_one():
    assert samples_per_frame(247, wanted=1) == 1
    assert samples_per_frame(247, wanted=0) == 1
    assert samples_per_frame(247, wanted=18) == 18
    assert samples_per_frame(247, wanted=40) == 19
    assert samples_per_frame(512, wanted=40) == 19
    assert samples_per_frame(35, wanted=19) == 2


def test_batch_size_one_fits_the_default_mtu_and_nineteen_fit_the_largest():
    one = bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,)))
    assert len(one) == 20 == 23 - ATT_HEADER_SIZE
    full = bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,) * 19))
    assert len(full) == 236 <= 247 - ATT_HEADER_SIZE
    assert SampleBatch.from_bytes(one).samples == (SAMPLE,)
    assert len(SampleBatch.from_bytes(full).samples) == 19


# -- sensor config ---------------------------------------------------------------------


def test_config_defaults_and_its_byte():
    assert (CONFIG.rate_hz, CONFIG.accel_range_g, CONFIG.gyro_range_dps) == (50, 4, 500)
    assert CONFIG.to_byte() == 0b010_010_01


def test_every_config_round_trips_through_its_byte():
    seen = set()
    for a, accel in enumerate(ACCEL_RANGES_G):
        for g, gyro in enumerate(GYRO_RANGES_DPS):
            for r, rate in enumerate(RATES_HZ):
                config = SensorConfig(rate, accel, gyro)
                byte = config.to_byte()
                assert byte == a | g << 2 | r << 5
                assert SensorConfig.from_byte(byte) == config
                seen.add(byte)
    assert len(seen) == 100


@pytest.mark.parametrize("code", [5, 6, 7])
def test_reserved_gyro_and_rate_codes_are_refused(code):
    with pytest.raises(InvalidFrame, match=f"reserved gyro range code {code}"):
        SensorConfig.from_byte(code << 2)
    with pytest.raises(InvalidFrame, match=f"reserved sample rate code {code}"):
        SensorConfig.from_byte(code << 5)
    assert SensorConfig.from_byte(4 << 2 | 4 << 5) == SensorConfig(200, 2, 2000)


def test_reserved_code_errors_carry_the_frame():
    with pytest.raises(InvalidFrame) as err:
        SensorConfig.from_byte(0xFF, b"\x01\xff")
    assert err.value.data == b"\x01\xff"


@pytest.mark.parametrize(("name", "bad"), [("rate_hz", 60), ("accel_range_g", 3), ("gyro_range_dps", 300)])
def test_config_values_outside_the_choices_are_refused(name, bad):
    with pytest.raises(InvalidParameter, match=rf"^{name}={bad} is not one of "):
        SensorConfig(**{name: bad})
    with pytest.raises(InvalidParameter, match=r"^rate_hz=60 is not one of 10, 25, 50, 100, 200$"):
        SensorConfig(rate_hz=60)


# -- samples and sample frames -----------------------------------------------------------


@pytest.mark.parametrize("field", ["ax", "ay", "az", "gx", "gy", "gz"])
def test_raw_sample_bounds_are_int16(field):
    base = dict(ax=0, ay=0, az=0, gx=0, gy=0, gz=0)
    for ok in (-32768, 32767):
        assert getattr(RawSample(**{**base, field: ok}), field) == ok
    for bad in (-32769, 32768, 1.0):
        with pytest.raises(InvalidParameter, match=rf"^{field}=.* is outside -32768..32767$"):
            RawSample(**{**base, field: bad})


@pytest.mark.parametrize(("seq", "t0"), [(0, 0), (0xFFFF, 0xFFFFFFFF)])
def test_sample_frame_header_bounds_accepted(seq, t0):
    batch = SampleBatch(seq, t0, CONFIG, (SAMPLE,))
    again = SampleBatch.from_bytes(bytes(batch))
    assert (again.seq, again.t0_ticks) == (seq, t0)
    assert pack_sample_frame(seq, t0, CONFIG, struct.pack("<6h", 1, -2, 3, -4, 5, -6)) == bytes(batch)


@pytest.mark.parametrize(
    ("seq", "t0", "name"), [(-1, 0, "seq"), (0x10000, 0, "seq"), (0, -1, "t0_ticks"), (0, 0x100000000, "t0_ticks")]
)
def test_sample_frame_header_bounds_refused(seq, t0, name):
    with pytest.raises(InvalidParameter, match=rf"^{name}=-?\d+ is outside 0\.\.\d+$"):
        SampleBatch(seq, t0, CONFIG, (SAMPLE,))
    with pytest.raises(InvalidParameter, match=rf"^{name}="):
        pack_sample_frame(seq, t0, CONFIG, bytes(12))


@pytest.mark.parametrize("count", [0, 20])
def test_a_batch_holds_one_to_nineteen_samples(count):
    with pytest.raises(InvalidParameter, match=f"1..19 samples, got {count}"):
        SampleBatch(0, 0, CONFIG, (SAMPLE,) * count)
    with pytest.raises(InvalidParameter, match=f"got {count * 12} bytes"):
        pack_sample_frame(0, 0, CONFIG, bytes(12 * count))


@pytest.mark.parametrize("size", [11, 13, 25])
def test_a_packed_body_must_be_whole_samples(size):
    with pytest.raises(InvalidParameter):
        pack_sample_frame(0, 0, CONFIG, bytes(size))


def test_pack_sample_frame_equals_the_dataclass_encoding_for_every_count():
    body = struct.pack("<6h", 1, -2, 3, -4, 5, -6)
    for count in (1, 2, 18, 19):
        frame = pack_sample_frame(7, 9, CONFIG, body * count)
        assert frame == bytes(SampleBatch(7, 9, CONFIG, (SAMPLE,) * count))
        assert frame[0] == 0x11


@pytest.mark.parametrize("size", [0, 8, 19])
def test_a_sample_frame_shorter_than_one_sample_is_refused(size):
    data = bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,)))[:size]
    with pytest.raises(InvalidFrame, match=f"at least 20 bytes, got {size}") as err:
        SampleBatch.from_bytes(data)
    assert err.value.data == data


def test_a_sample_frame_longer_than_nineteen_samples_or_not_whole_is_refused():
    full = bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,) * 19))
    with pytest.raises(InvalidFrame, match="body of 240 bytes"):
        SampleBatch.from_bytes(full + bytes(12))
    with pytest.raises(InvalidFrame, match="body of 13 bytes"):
        SampleBatch.from_bytes(full[: 8 + 13])
    with pytest.raises(InvalidFrame, match="body of 227 bytes"):
        SampleBatch.from_bytes(full[:-1])


@pytest.mark.parametrize("major", [0, 2, 15])
def test_a_sample_frame_of_another_major_version_is_refused(major):
    data = bytearray(bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,))))
    data[0] = major << 4 | 1
    with pytest.raises(UnsupportedVersion, match=f"protocol v{major}, this code speaks v1"):
        SampleBatch.from_bytes(bytes(data))


@pytest.mark.parametrize("frame_type", [0, 2, 15])
def test_an_unknown_frame_type_is_refused(frame_type):
    data = bytearray(bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,))))
    data[0] = 1 << 4 | frame_type
    with pytest.raises(InvalidFrame, match=f"unknown frame type {frame_type}"):
        SampleBatch.from_bytes(bytes(data))


def test_a_sample_frame_with_a_reserved_config_code_is_refused():
    data = bytearray(bytes(SampleBatch(0, 0, CONFIG, (SAMPLE,))))
    data[7] = 7 << 5
    with pytest.raises(InvalidFrame, match="reserved sample rate code 7"):
        SampleBatch.from_bytes(bytes(data))


def test_decoded_samples_keep_every_axis_in_order():
    samples = tuple(RawSample(i, -i, 2 * i, -2 * i, 32767 - i, -32768 + i) for i in range(19))
    batch = SampleBatch.from_bytes(bytes(SampleBatch(3, 4, SensorConfig(200, 16, 2000), samples)))
    assert batch == SampleBatch(3, 4, SensorConfig(200, 16, 2000), samples)


# -- device info -----------------------------------------------------------------------


def _info(**kw) -> DeviceInfo:
    base = dict(major=1, minor=0, config=CONFIG, batch_size=1, flags=DeviceFlags(0))
    return DeviceInfo(**{**base, **kw})


def test_device_info_defaults_and_layout():
    info = _info(batch_size=5, flags=DeviceFlags.STREAMING | DeviceFlags.HAS_GYRO, minor=3)
    assert (info.max_batch, info.tick_hz) == (19, 1_000_000)
    data = bytes(info)
    assert data == struct.pack("<BBBBBBIH", 1, 3, CONFIG.to_byte(), 5, 0x03, 19, 1_000_000, 0)
    assert DeviceInfo.from_bytes(data) == info
    assert (DeviceFlags.STREAMING, DeviceFlags.HAS_GYRO, DeviceFlags.HAS_VIBRATION) == (1, 2, 4)


@pytest.mark.parametrize(
    ("field", "ok", "bad"),
    [
        ("major", (0, 255), (-1, 256)),
        ("minor", (0, 255), (-1, 256)),
        ("batch_size", (1, 19), (0, 20)),
        ("max_batch", (1, 19), (0, 20)),
        ("tick_hz", (1, 0xFFFFFFFF), (0, 0x100000000)),
    ],
)
def test_device_info_bounds(field, ok, bad):
    for value in ok:
        assert getattr(_info(**{field: value}), field) == value
    for value in bad:
        with pytest.raises(InvalidParameter, match=rf"^{field}={value} is outside "):
            _info(**{field: value})


def test_device_info_bytes_are_checked():
    good = bytes(_info(flags=DeviceFlags(0x07)))
    assert DeviceInfo.from_bytes(good).flags == DeviceFlags(0x07)
    with pytest.raises(UnsupportedVersion, match="protocol v2"):
        DeviceInfo.from_bytes(b"\x02" + good[1:])
    with pytest.raises(UnsupportedVersion):
        DeviceInfo.from_bytes(b"\x00" + good[1:])
    with pytest.raises(UnsupportedVersion):
        DeviceInfo.from_bytes(b"\x02")  # the version is judged before the length
    for size in (0, 11, 13):
        with pytest.raises(InvalidFrame, match="device info must be 12 bytes"):
            DeviceInfo.from_bytes((good + b"\x00")[:size] if size else b"")
    bad_flags = good[:4] + b"\x08" + good[5:]
    with pytest.raises(InvalidFrame, match="reserved device flag bits set: 0x08") as err:
        DeviceInfo.from_bytes(bad_flags)
    assert err.value.data == bad_flags
    for batch in (0, 20):
        data = good[:3] + bytes([batch]) + good[4:]
        with pytest.raises(InvalidFrame, match="batch_size") as err:
            DeviceInfo.from_bytes(data)
        assert not isinstance(err.value, InvalidParameter) and err.value.data == data
    data = good[:2] + bytes([7 << 2]) + good[3:]
    with pytest.raises(InvalidFrame, match="reserved gyro range code 7") as err:
        DeviceInfo.from_bytes(data)
    assert err.value.data == data


# -- commands and responses --------------------------------------------------------------


def test_commands_encode_to_their_opcodes():
    assert bytes(StartStreaming()) == b"\x01"
    assert bytes(StopStreaming()) == b"\x02"
    assert bytes(Configure(CONFIG, 19)) == bytes([0x03, CONFIG.to_byte(), 19])
    assert bytes(Identify()) == b"\x04\x01"
    assert Identify().seconds == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x01", StartStreaming()),
        (b"\x02", StopStreaming()),
        (bytes([3, CONFIG.to_byte(), 1]), Configure(CONFIG, 1)),
        (bytes([3, CONFIG.to_byte(), 19]), Configure(CONFIG, 19)),
        (b"\x04\x01", Identify(1)),
        (b"\x04\x1e", Identify(30)),
    ],
)
def test_commands_decode_at_their_bounds(data, expected):
    assert decode_command(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "^empty command$"),
        (b"\x00", "unknown opcode 0x00"),
        (b"\x05", "unknown opcode 0x05"),
        (b"\x01\x00", "START command must be 1 bytes, got 2"),
        (b"\x02\x00", "STOP command must be 1 bytes"),
        (b"\x03\x49", "CONFIGURE command must be 3 bytes, got 2"),
        (b"\x03\x49\x01\x00", "CONFIGURE command must be 3 bytes, got 4"),
        (b"\x04", "IDENTIFY command must be 2 bytes, got 1"),
        (bytes([3, CONFIG.to_byte(), 0]), "batch_size"),
        (bytes([3, CONFIG.to_byte(), 20]), "batch_size"),
        (bytes([3, 0xFF, 1]), "reserved"),
        (b"\x04\x00", "seconds"),
        (b"\x04\x1f", "seconds"),
    ],
)
def test_bad_commands_are_refused_as_invalid_frames(data, message):
    with pytest.raises(InvalidFrame, match=message) as err:
        decode_command(data)
    assert err.value.data == data


@pytest.mark.parametrize("seconds", [0, 31])
def test_identify_lasts_one_to_thirty_seconds(seconds):
    with pytest.raises(InvalidParameter, match=rf"^seconds={seconds} is outside 1\.\.30$"):
        Identify(seconds)
    with pytest.raises(InvalidParameter, match=r"^batch_size=0 is outside 1\.\.19$"):
        Configure(CONFIG, 0)


def test_command_response_layout_and_bounds():
    for request in (0, 255):
        response = CommandResponse(request, ResultCode.FAILED)
        assert bytes(response) == bytes([0x80, request, 4])
        assert CommandResponse.from_bytes(bytes(response)) == response
    for request in (-1, 256):
        with pytest.raises(InvalidParameter, match=r"^request="):
            CommandResponse(request, ResultCode.SUCCESS)
    assert [int(c) for c in ResultCode] == [0, 1, 2, 3, 4]
    for data, message in (
        (b"\x81\x01\x00", "must start with 0x80, got 0x81"),
        (b"\x80\x01\x05", "unknown result code 5"),
    ):
        with pytest.raises(InvalidFrame, match=message) as err:
            CommandResponse.from_bytes(data)
        assert err.value.data == data
    for data in (b"\x80\x01", b"\x80\x01\x00\x00"):
        with pytest.raises(InvalidFrame, match="command response must be 3 bytes"):
            CommandResponse.from_bytes(data)


# -- status ----------------------------------------------------------------------------


def test_status_defaults_layout_and_bounds():
    status = Status(StreamState.IDLE)
    assert (status.flags, status.overflow_samples) == (StatusFlags(0), 0)
    assert bytes(status) == b"\x00\x00\x00\x00"
    full = Status(StreamState.STREAMING, StatusFlags(0x0F), 0xFFFF)
    assert bytes(full) == b"\x01\x0f\xff\xff"
    assert Status.from_bytes(bytes(full)) == full
    for bad in (-1, 0x10000):
        with pytest.raises(InvalidParameter, match=r"^overflow_samples="):
            Status(StreamState.IDLE, overflow_samples=bad)
    with pytest.raises(InvalidFrame, match="reserved status flag bits set: 0x10") as err:
        Status.from_bytes(b"\x01\x10\x00\x00")
    assert err.value.data == b"\x01\x10\x00\x00"
    with pytest.raises(InvalidFrame, match="unknown stream state 2"):
        Status.from_bytes(b"\x02\x00\x00\x00")
    for data in (b"\x01\x00\x00", b"\x01\x00\x00\x00\x00"):
        with pytest.raises(InvalidFrame, match="status must be 4 bytes"):
            Status.from_bytes(data)
    assert [int(f) for f in StatusFlags] == [1, 2, 4, 8]
    assert frames.FrameType.SAMPLES == 1
