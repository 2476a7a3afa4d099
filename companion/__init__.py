"""The posture companion: reads a BLE motion sensor on the upper back, notices
sustained slouching, nudges, coaches stretches and keeps a local history."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("posture-companion")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
