"""The control socket: a Unix stream socket, owner-only, one task per client.

The tracker survives any client: a peer of another user is refused, a malformed
line gets an error reply, an oversized one an error reply and a hang-up, and a
client that stops reading is dropped once its unread backlog passes a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .protocol import MAX_LINE_BYTES, ProtocolError, Request, encode, parse_request
from .runtime import ensure_socket_dir

_log = logging.getLogger(__name__)

MAX_BACKLOG_BYTES = 256 * 1024  # unread output a client may pile up before it is dropped


def peer_uid(sock: socket.socket) -> int | None:
    """The connecting process's user id, where the OS tells it (Linux, macOS)."""
    if sys.platform.startswith("linux"):
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return uid
    if sys.platform == "darwin":
        sol_local, local_peercred = 0, 0x001
        xucred = sock.getsockopt(sol_local, local_peercred, struct.calcsize("IIh16I"))
        return struct.unpack_from("II", xucred)[1]
    return None


class Client:
    """One attached peer: its writer and, once subscribed, its snapshot rate."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.rate_hz: float | None = None
        self.last_sent = float("-inf")
        self.closed = False
        self.on_hang_up: list[Callable[[], None]] = []  # called once the peer is gone

    def send(self, message: dict[str, Any]) -> bool:
        """Queue a message; False (and hung up) when the peer stopped reading."""
        if self.closed:
            return False
        transport = self.writer.transport
        if transport.is_closing():
            self.close()
            return False
        if transport.get_write_buffer_size() > MAX_BACKLOG_BYTES:
            _log.warning("dropping a viewer that stopped reading")
            self.close(abort=True)
            return False
        self.writer.write(encode(message))
        return True

    def close(self, *, abort: bool = False) -> None:
        """Hang up; ``abort`` also throws away output the peer never read."""
        if not self.closed:
            self.closed = True
            if abort:
                self.writer.transport.abort()
            else:
                self.writer.transport.close()


Handler = Callable[[Request, Client], Awaitable[dict[str, Any] | None]]


class ControlServer:
    def __init__(self, path: Path, handler: Handler, hello: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self.handler = handler
        self.hello = hello
        self.clients: set[Client] = set()
        self.refused = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> ControlServer:
        """Bind the socket 0600 in a 0700 directory. Call only while holding the
        tracker lock: a socket file left by a killed tracker is replaced."""
        ensure_socket_dir(self.path)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old_umask = os.umask(0o177)  # the socket is born 0600, never briefly wider
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_LINE_BYTES)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                client.writer.write(encode({"event": "bye"}))
            client.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def subscribers(self) -> list[Client]:
        return [c for c in self.clients if c.rate_hz is not None and not c.closed]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        uid = peer_uid(sock) if sock is not None else None
        if uid is not None and uid != os.getuid():
            self.refused += 1
            _log.warning("refused a connection from user %s", uid)
            writer.write(encode({"ok": False, "error": "this tracker belongs to another user"}))
            writer.transport.close()
            return
        client = Client(writer)
        self.clients.add(client)
        try:
            client.send({"event": "hello", **self.hello()})
            await self._requests(reader, client)
        except (ConnectionError, OSError):
            pass
        finally:
            self.clients.discard(client)
            client.close()
            for callback in client.on_hang_up:
                try:
                    callback()
                except Exception:  # noqa: BLE001 - one peer's clean-up must not stop the tracker
                    _log.exception("clean-up after a viewer hung up failed")

    async def _requests(self, reader: asyncio.StreamReader, client: Client) -> None:
        skipping = False  # inside a line that was too long: discard up to its end
        while not client.closed:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                return  # the peer hung up
            except asyncio.LimitOverrunError as exc:
                await reader.readexactly(exc.consumed)  # bounded memory: drop it
                if not skipping:
                    skipping = True
                    client.send({"ok": False, "error": f"message longer than {MAX_LINE_BYTES} bytes"})
                continue
            if skipping:
                skipping = False  # the end of the long line
                continue
            if not line.strip():
                continue
            try:
                request = parse_request(line)
            except ProtocolError as exc:
                client.send({"ok": False, "error": str(exc)})
                continue
            try:
                reply = await self.handler(request, client)
            except Exception as exc:  # noqa: BLE001 - a bug in one command must not stop tracking
                _log.exception("command %s failed", request.cmd)
                reply = {"ok": False, "error": f"{request.cmd} failed: {exc}"}
            if reply is not None:
                client.send({"id": request.id, **reply})
