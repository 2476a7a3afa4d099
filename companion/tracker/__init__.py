"""The background tracker and its local control channel.

One tracker per ``POSTURE_HOME`` owns the sensor link, the engine, the nudges and
the history writer; viewers (the app, ``posture status``, one-shot commands)
attach over a Unix socket speaking the JSON-lines protocol of docs/control.md.
"""

from .lock import AlreadyRunning, TrackerLock
from .protocol import PROTOCOL_VERSION, ProtocolError
from .runtime import lock_path, socket_path

__all__ = ["PROTOCOL_VERSION", "AlreadyRunning", "ProtocolError", "TrackerLock", "lock_path", "socket_path"]
