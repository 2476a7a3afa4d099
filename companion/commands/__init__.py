"""The ``posture`` subcommands, one module per family. :mod:`companion.cli` parses
the command line and imports only the family of the command that runs."""
