"""The ``posture`` command. ``posture status`` takes a short path that loads only
the socket client; everything else goes to the full command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["status"]:
        from .tracker.status_command import main as status_main

        return status_main(args[1:])
    from .cli import main as cli_main

    return cli_main(args)
