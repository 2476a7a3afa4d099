"""The control protocol: one JSON object per line, each with a version field ``v``.

Pure: encoding, decoding and checking requests; the server and client do the I/O.
docs/control.md describes every message.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ..errors import PostureError

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 64 * 1024  # a request is a few dozen bytes; anything longer is refused
MAX_RATE_HZ = 10.0
MAX_MINUTES = 24 * 60

COMMANDS = ("status", "subscribe", "pause", "resume", "snooze", "calibrate", "stretch", "reload", "stop")


class ProtocolError(PostureError, ValueError):
    """A message that breaks the protocol; the text goes back in the error reply."""


class Request(NamedTuple):  # not a dataclass: `posture status` skips importing dataclasses
    cmd: str
    id: Any = None
    minutes: float | None = None
    rate_hz: float = MAX_RATE_HZ
    name: str = ""


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps({"v": PROTOCOL_VERSION, **message}, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    """One line from the other side as a dict, or ProtocolError."""
    if len(line) > MAX_LINE_BYTES:
        raise ProtocolError(f"message longer than {MAX_LINE_BYTES} bytes")
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("not a JSON object on one line") from None
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object on one line")
    version = message.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version {version!r} is not supported (this tracker speaks {PROTOCOL_VERSION})")
    return message


def _number(message: dict[str, Any], key: str, low: float, high: float, *, required: bool) -> float | None:
    value = message.get(key)
    if value is None:
        if required:
            raise ProtocolError(f"{message.get('cmd')} needs {key}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ProtocolError(f"{key} must be a number from {low:g} to {high:g}")
    return float(value)


def parse_request(line: bytes) -> Request:
    message = decode(line)
    cmd = message.get("cmd")
    if cmd not in COMMANDS:
        raise ProtocolError(f"unknown command {cmd!r}; known: {', '.join(COMMANDS)}")
    ident = message.get("id")
    if cmd == "pause":
        return Request(cmd, ident, minutes=_number(message, "minutes", 1, MAX_MINUTES, required=False))
    if cmd == "snooze":
        return Request(cmd, ident, minutes=_number(message, "minutes", 1, MAX_MINUTES, required=True))
    if cmd == "subscribe":
        rate = _number(message, "rate_hz", 0.1, MAX_RATE_HZ, required=False)
        return Request(cmd, ident, rate_hz=MAX_RATE_HZ if rate is None else rate)
    if cmd == "stretch":
        name = message.get("name")
        if not isinstance(name, str) or not name:
            raise ProtocolError("stretch needs a name")
        return Request(cmd, ident, name=name)
    return Request(cmd, ident)
