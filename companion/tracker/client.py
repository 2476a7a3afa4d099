"""Talking to the tracker: a blocking client for one-shot commands and the status
line (fast, no event loop), and an asyncio client for viewers that stream."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_NO_TRACKER, PostureError
from .protocol import MAX_LINE_BYTES, ProtocolError, decode, encode
from .runtime import socket_path

if TYPE_CHECKING:
    import asyncio  # imported where used: the line client stays off the event loop


class NoTracker(PostureError, ConnectionError):
    """No tracker answers on this home's socket."""

    exit_status = EXIT_NO_TRACKER

    def __init__(self, path: Path, detail: str = "") -> None:
        super().__init__(
            f"no tracker is running for this home (nothing answers on {path}{': ' + detail if detail else ''})"
        )
        self.path = path


class CommandFailed(PostureError, RuntimeError):
    """The tracker answered with an error."""


_ids = itertools.count(1)


class TrackerConnection:
    """A blocking connection: ``hello`` holds the tracker's greeting."""

    def __init__(self, path: Path | None = None, timeout_s: float = 2.0) -> None:
        self.path = path or socket_path()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_s)
        try:
            self._sock.connect(str(self.path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            self._sock.close()
            raise NoTracker(self.path) from exc
        except OSError as exc:
            self._sock.close()
            raise NoTracker(self.path, exc.strerror or str(exc)) from exc
        self._file = self._sock.makefile("rb")
        self.hello = self.receive()

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> TrackerConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, cmd: str, **fields: Any) -> int:
        ident = next(_ids)
        self._sock.sendall(encode({"id": ident, "cmd": cmd, **{k: v for k, v in fields.items() if v is not None}}))
        return ident

    def receive(self) -> dict[str, Any]:
        try:
            line = self._file.readline(MAX_LINE_BYTES + 1)
        except TimeoutError:
            raise NoTracker(self.path, "the tracker did not answer in time") from None
        if not line:
            raise NoTracker(self.path, "the tracker hung up")
        return decode(line)

    def request(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Send a command and return its reply (events in between are skipped)."""
        ident = self.send(cmd, **fields)
        while True:
            message = self.receive()
            if "event" in message:
                continue
            if message.get("id") not in (ident, None):
                continue
            if not message.get("ok"):
                raise CommandFailed(message.get("error") or "the tracker refused the command")
            return message

    def events(self) -> Iterator[dict[str, Any]]:
        while True:
            yield self.receive()


def request(cmd: str, *, path: Path | None = None, timeout_s: float = 2.0, **fields: Any) -> dict[str, Any]:
    with TrackerConnection(path, timeout_s) as connection:
        return connection.request(cmd, **fields)


class AsyncTrackerClient:
    """A viewer's connection on asyncio: requests, and the stream once subscribed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hello: dict[str, Any]) -> None:
        self.reader = reader
        self.writer = writer
        self.hello = hello

    @classmethod
    async def connect(cls, path: Path | None = None, timeout_s: float = 2.0) -> AsyncTrackerClient:
        import asyncio

        path = path or socket_path()
        try:
            async with asyncio.timeout(timeout_s):  # never drops a cancellation (wait_for can, on 3.11)
                reader, writer = await asyncio.open_unix_connection(str(path), limit=MAX_LINE_BYTES + 1)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise NoTracker(path) from exc
        except (TimeoutError, OSError) as exc:
            raise NoTracker(path, str(exc) or type(exc).__name__) from exc
        try:
            async with asyncio.timeout(timeout_s):
                line = await reader.readline()
            hello = decode(line)
        except (TimeoutError, ProtocolError, OSError) as exc:
            writer.close()
            raise NoTracker(path, "no greeting from the tracker") from exc
        return cls(reader, writer, hello)

    async def send(self, cmd: str, **fields: Any) -> int:
        ident = next(_ids)
        self.writer.write(encode({"id": ident, "cmd": cmd, **{k: v for k, v in fields.items() if v is not None}}))
        await self.writer.drain()
        return ident

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Everything the tracker sends, until it hangs up."""
        while True:
            line = await self.reader.readline()
            if not line:
                return
            yield json.loads(line)

    async def request(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Send a command and wait for its reply; only for a client not yet streaming."""
        ident = await self.send(cmd, **fields)
        async for message in self.messages():
            if "event" not in message and message.get("id") in (ident, None):
                if not message.get("ok"):
                    raise CommandFailed(message.get("error") or "the tracker refused the command")
                return message
        raise NoTracker(socket_path(), "the tracker hung up")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
