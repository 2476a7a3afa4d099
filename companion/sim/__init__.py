"""Simulated sensors: real GATT servers on an in-process virtual BLE link (Bumble).

A simulated sensor speaks the same bytes as the hardware it stands for, so the
companion reaches it through bleak exactly as it reaches a real device.

Loaded only by ``--simulate``, ``posture demo``, the tests and the benchmarks; no
production module imports it (an import contract in pyproject.toml).
"""

from .faults import FaultPlan
from .motion import ImuNoise, MotionSource, StillWearer
from .radio import VirtualRadio
from .reference import ReferenceSensor

__all__ = ["FaultPlan", "ImuNoise", "MotionSource", "ReferenceSensor", "StillWearer", "VirtualRadio"]
