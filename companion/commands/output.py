"""What every command shares: exit statuses, the one-line error, where output goes.

Standard library only: the dispatcher imports this for ``posture --help``.
"""

from __future__ import annotations

import sys

from ..errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, PostureError

EXIT_NO_SENSOR = EXIT_FAILURE


class CliError(PostureError):
    """A failure to report to the user as one clear line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_NO_SENSOR) -> None:
        super().__init__(message)
        self.code = self.exit_status = code


class ReaderGone(PostureError):
    """Standard output's reader stopped reading (``posture stream | head -1``): the
    command ends quietly with status 0, as ``cat`` piped into ``head`` does."""

    exit_status = EXIT_OK


class Output:
    """Where the CLI writes: results to stdout, messages to stderr."""

    def __init__(self, json: bool = False, quiet_readings: bool = False) -> None:
        self.json = json
        self.quiet_readings = quiet_readings

    def result(self, text: str) -> None:
        try:
            print(text, flush=True)
        except BrokenPipeError:
            import os

            # Python would report the pipe again when flushing stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise ReaderGone from None

    def message(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


__all__ = ["EXIT_NO_SENSOR", "EXIT_OK", "EXIT_USAGE", "CliError", "Output", "ReaderGone"]
