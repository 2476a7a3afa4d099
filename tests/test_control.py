"""The control protocol, pure: every request parses or raises ProtocolError."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.tracker.protocol import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    ProtocolError,
    Request,
    decode,
    encode,
    parse_request,
)


def line(**message) -> bytes:
    return json.dumps({"v": PROTOCOL_VERSION, **message}).encode() + b"\n"


def test_every_command_parses():
    assert parse_request(line(cmd="status", id=3)) == Request("status", 3)
    assert parse_request(line(cmd="subscribe")) == Request("subscribe", rate_hz=10.0)
    assert parse_request(line(cmd="subscribe", rate_hz=2)).rate_hz == 2.0
    assert parse_request(line(cmd="pause")).minutes is None
    assert parse_request(line(cmd="pause", minutes=30)).minutes == 30.0
    assert parse_request(line(cmd="snooze", minutes=15)).minutes == 15.0
    assert parse_request(line(cmd="stretch", name="trunk_rotation")).name == "trunk_rotation"
    for cmd in ("resume", "calibrate", "stop"):
        assert parse_request(line(cmd=cmd)).cmd == cmd


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        (b"hello\n", "not a JSON object"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"cmd": "status"}\n', "protocol version None"),
        (b'{"v": 2, "cmd": "status"}\n', "protocol version 2"),
        (line(cmd="dance"), "unknown command 'dance'"),
        (line(cmd="snooze"), "snooze needs minutes"),
        (line(cmd="snooze", minutes=0), "minutes must be a number from 1 to 1440"),
        (line(cmd="pause", minutes=True), "minutes must be a number"),
        (line(cmd="pause", minutes="5"), "minutes must be a number"),
        (line(cmd="subscribe", rate_hz=50), "rate_hz must be a number from 0.1 to 10"),
        (line(cmd="stretch"), "stretch needs a name"),
        (b"\xff\xfe\n", "not a JSON object"),
        (b"{" * (MAX_LINE_BYTES + 1), "longer than"),
    ],
)
def test_bad_requests_are_explained(raw, complaint):
    with pytest.raises(ProtocolError, match=complaint.replace("(", r"\(").replace("[", r"\[")):
        parse_request(raw)


def test_encoding_is_one_versioned_line():
    data = encode({"event": "snapshot", "status": {"state": "upright"}})
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert decode(data) == {"v": PROTOCOL_VERSION, "event": "snapshot", "status": {"state": "upright"}}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_parse_or_raise_protocol_error(raw):
    with contextlib.suppress(ProtocolError):
        parse_request(raw)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["v", "cmd", "id", "minutes", "rate_hz", "name"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=8),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
def test_random_objects_parse_or_raise_protocol_error(message):
    try:
        request = parse_request(json.dumps(message).encode())
    except ProtocolError:
        return
    assert request.cmd in ("status", "subscribe", "pause", "resume", "snooze", "calibrate", "stretch", "stop")
