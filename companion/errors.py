"""The companion's one family of errors.

Every failure the companion reports to a person is a :class:`PostureError`; the few
subclasses below say what went wrong in terms a person acts on, and each also
inherits the builtin an ``except`` elsewhere would expect (a bad recording is still
a ``ValueError``). Pure code raises them; the boundaries decide: the CLI prints one
line and exits with the class's :attr:`~PostureError.exit_status` (the table in
docs/cli.md), the UI shows the message.

Bleak and Bumble errors never leave the link: the Bumble backend turns Bumble's into
Bleak's, and the link turns Bleak's into :class:`BluetoothUnavailable` (scanning) or
link events (a connection that fails or drops). The wire protocol's own errors
(``firmware_protocol.ProtocolError``) stay in the protocol package, which imports
nothing from here: the link counts and drops a bad frame.

Imports nothing, so every layer may raise these.
"""

from __future__ import annotations

#: Exit statuses of the ``posture`` command (docs/cli.md).
EXIT_OK = 0
EXIT_FAILURE = 1  # no sensor, lost link, unusable history
EXIT_USAGE = 2  # bad arguments, recording or settings
EXIT_NO_TRACKER = 3  # a tracker command with no tracker running
EXIT_INTERRUPTED = 130  # Ctrl-C


class PostureError(Exception):
    """Something the person must hear about, as one line."""

    exit_status: int = EXIT_FAILURE


class SensorNotFound(PostureError, LookupError):
    """No supported sensor (or not the one asked for) could be found."""


class BluetoothUnavailable(SensorNotFound, OSError):
    """No sensor can be found because the computer's Bluetooth cannot be used."""


class LinkLost(PostureError, ConnectionError):
    """The connection to the sensor failed or ended and could not be kept."""


class RecordingInvalid(PostureError, ValueError):
    """A recording cannot be read or replayed as asked."""

    exit_status = EXIT_USAGE


class HistoryUnavailable(PostureError):
    """The history cannot be read or written as asked (missing, foreign, damaged,
    read-only)."""


class SettingsInvalid(PostureError, ValueError):
    """A setting, the settings file or the plan file holds a value that cannot be used."""

    exit_status = EXIT_USAGE


class UsageError(PostureError, ValueError):
    """The command was asked for something it cannot do (a bad option, a file that
    would be overwritten)."""

    exit_status = EXIT_USAGE
