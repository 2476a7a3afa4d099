"""Errors raised by the protocol's pure code.

Every error derives from :class:`ProtocolError`; each subclass also inherits the
matching builtin so callers that only know builtins still catch it.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base of every error raised by :mod:`firmware_protocol`."""

    def __init__(self, message: str, data: bytes | None = None) -> None:
        super().__init__(message)
        self.data = data


class InvalidFrame(ProtocolError, ValueError):
    """Bytes that are not a valid frame (length, values, reserved bits)."""


class UnsupportedVersion(InvalidFrame):
    """A frame from a protocol major version this code does not speak."""


class InvalidParameter(ProtocolError, ValueError):
    """A value outside the protocol's allowed range, caught before encoding."""
