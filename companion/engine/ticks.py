"""Tick arithmetic on arrays: the engine's per-tick features for many ticks at once.

:meth:`PostureEngine.process_arrays` feeds the filter sample by sample (that loop
is the filter's own cost) and, while no calibration or gyroscope self-check needs
a decision between ticks, only notes the filter's output at each tick's end. The
features of those ticks (turn rate, acceleration spread, gravity, angles) are then
computed here in one go, and only the ticks where something can change go through
the engine's sequential decisions one by one.
"""

from __future__ import annotations

import numpy as np

TICK_S = 0.25
STARTUP_S = 3.0  # the filter's own start-up while its gain ramps down (3 s in Fusion)
SLIP_ERROR_DEG = 10.0


def turn_rates_dps(
    quaternions: np.ndarray, previous: np.ndarray, times_s: np.ndarray, previous_s: np.ndarray, default_s: float
) -> np.ndarray:
    """How fast the orientation turned between consecutive ticks (deg/s).

    ``previous`` and ``previous_s`` are each tick's predecessor; a NaN time means
    none (then ``default_s`` is the elapsed time)."""
    dot = np.minimum(1.0, np.abs(np.einsum("ij,ij->i", quaternions, previous)))
    elapsed = np.where(np.isnan(previous_s), default_s, np.maximum(1e-3, times_s - previous_s))
    return np.degrees(2.0 * np.arccos(dot)) / elapsed


def spreads(square_means: np.ndarray, means: np.ndarray) -> np.ndarray:
    """RMS deviation of the acceleration vector from its mean within each tick."""
    return np.sqrt(np.maximum(0.0, square_means - np.einsum("ij,ij->i", means, means)))


def directions(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors (a zero vector stays near zero rather than dividing by zero)."""
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    norms[norms == 0.0] = 1e-9
    return vectors / norms[:, None]
