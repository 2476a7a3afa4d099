"""The posture companion: reads a BLE motion sensor on the upper back, notices
sustained slouching, nudges, coaches stretches and keeps a local history."""

# The single source of the version: pyproject.toml reads it from here, so the
# command line needs no package-metadata lookup to print it.
__version__ = "0.1.0"
