"""The command line's argument parser: bad arguments get one line and exit 2.

Shared by the full command line (``cli.py``) and the fast ``posture status`` path,
which imports nothing else of the companion's command line."""

from __future__ import annotations

import argparse
from typing import NoReturn

from .errors import EXIT_USAGE


class OneLineParser(argparse.ArgumentParser):
    """One line naming the command's help (docs/cli.md), not the usage block that
    argparse prints before its error; subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")
