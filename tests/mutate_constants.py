"""Change each engine and protocol constant (and settings default) by hand, one at a
time, and check the fast pinned tests notice: mutmut mutates code inside functions
only, so module constants and dataclass defaults are checked here.

Run from the repository root: ``python tests/mutate_constants.py``. The sources are
copied to a temporary directory and changed there; the worktree is never edited.
Prints one line per change and the share caught; exits 1 if any change survives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/test_slouch_machine.py",
    "tests/test_engine_pinned.py",
    "tests/test_frames.py",
    "tests/test_frames_bounds.py",
]

SLOUCH = "companion/engine/slouch.py"
ACTIVITY = "companion/engine/activity.py"
CALIBRATION = "companion/engine/calibration.py"
SETTINGS = "companion/engine/settings.py"
FRAMES = "firmware_protocol/frames.py"

#: (file, text as it is, text changed): each text appears exactly once in its file.
CHANGES: list[tuple[str, str, str]] = [
    (SLOUCH, "WALK_ENDS_EPISODE_S = 2.0", "WALK_ENDS_EPISODE_S = 3.0"),
    (SLOUCH, "LATERAL_HYSTERESIS_DEG = 4.0", "LATERAL_HYSTERESIS_DEG = 3.0"),
    (ACTIVITY, "still_gyro_dps: float = 5.0", "still_gyro_dps: float = 6.0"),
    (ACTIVITY, "transition_gyro_dps: float = 20.0", "transition_gyro_dps: float = 25.0"),
    (ACTIVITY, "fidget_accel: float = 0.03", "fidget_accel: float = 0.04"),
    (ACTIVITY, "walking_accel: float = 0.10", "walking_accel: float = 0.12"),
    (ACTIVITY, "walking_window: int = 8", "walking_window: int = 10"),
    (ACTIVITY, "walking_share: float = 0.6", "walking_share: float = 0.5"),
    (CALIBRATION, "MIN_LEAN_DEG = 8.0", "MIN_LEAN_DEG = 6.0"),
    (SETTINGS, "DELAY_CHOICES_S = (5, 15, 30, 60, 120)", "DELAY_CHOICES_S = (5, 15, 30, 60, 90)"),
    (SETTINGS, "    threshold_deg: float = 10.0", "    threshold_deg: float = 11.0"),
    (SETTINGS, "delay_s: float = 30.0", "delay_s: float = 60.0"),
    (SETTINGS, "hysteresis_deg: float = 3.0", "hysteresis_deg: float = 4.0"),
    (SETTINGS, "clear_hold_s: float = 2.0", "clear_hold_s: float = 3.0"),
    (SETTINGS, "dwell_s: float = 5.0", "dwell_s: float = 6.0"),
    (SETTINGS, "lateral_threshold_deg: float = 12.0", "lateral_threshold_deg: float = 13.0"),
    (SETTINGS, "lateral_hold_s: float = 60.0", "lateral_hold_s: float = 90.0"),
    (SETTINGS, "transition_quiet_s: float = 3.0", "transition_quiet_s: float = 4.0"),
    (SETTINGS, "renudge_s: float = 300.0", "renudge_s: float = 600.0"),
    (SETTINGS, "gap_s: float = 5.0", "gap_s: float = 6.0"),
    (SETTINGS, '"threshold_deg": (5.0, 40.0)', '"threshold_deg": (5.0, 45.0)'),
    (SETTINGS, '"hysteresis_deg": (1.0, 10.0)', '"hysteresis_deg": (0.5, 10.0)'),
    (SETTINGS, '"clear_hold_s": (0.5, 10.0)', '"clear_hold_s": (0.5, 9.0)'),
    (SETTINGS, '"dwell_s": (1.0, 30.0)', '"dwell_s": (2.0, 30.0)'),
    (SETTINGS, '"lateral_threshold_deg": (5.0, 40.0)', '"lateral_threshold_deg": (4.0, 40.0)'),
    (SETTINGS, '"lateral_hold_s": (10.0, 600.0)', '"lateral_hold_s": (10.0, 900.0)'),
    (SETTINGS, '"transition_quiet_s": (0.0, 10.0)', '"transition_quiet_s": (0.5, 10.0)'),
    (SETTINGS, '"renudge_s": (60.0, 3600.0)', '"renudge_s": (30.0, 3600.0)'),
    (SETTINGS, '"gap_s": (1.0, 60.0)', '"gap_s": (1.0, 30.0)'),
    (FRAMES, "PROTOCOL_MAJOR = 1", "PROTOCOL_MAJOR = 2"),
    (FRAMES, "PROTOCOL_MINOR = 0", "PROTOCOL_MINOR = 1"),
    (FRAMES, "ACCEL_RANGES_G: tuple[int, ...] = (2, 4, 8, 16)", "ACCEL_RANGES_G: tuple[int, ...] = (2, 4, 8, 12)"),
    (
        FRAMES,
        "GYRO_RANGES_DPS: tuple[int, ...] = (125, 250, 500, 1000, 2000)",
        "GYRO_RANGES_DPS: tuple[int, ...] = (125, 250, 500, 1000)",
    ),
    (
        FRAMES,
        "RATES_HZ: tuple[int, ...] = (10, 25, 50, 100, 200)",
        "RATES_HZ: tuple[int, ...] = (10, 25, 50, 100, 400)",
    ),
    (FRAMES, "SAMPLE_HEADER_SIZE = 8", "SAMPLE_HEADER_SIZE = 9"),
    (FRAMES, "SAMPLE_SIZE = 12", "SAMPLE_SIZE = 13"),
    (FRAMES, "MAX_SAMPLES_PER_FRAME = 19", "MAX_SAMPLES_PER_FRAME = 18"),
    (FRAMES, "ATT_HEADER_SIZE = 3", "ATT_HEADER_SIZE = 4"),
    (FRAMES, "_INT16_MIN = -32768", "_INT16_MIN = -32767"),
    (FRAMES, "_INT16_MAX = 32767", "_INT16_MAX = 32766"),
    (FRAMES, "RESPONSE_MARKER = 0x80", "RESPONSE_MARKER = 0x81"),
    (FRAMES, "    rate_hz: int = 50\n", "    rate_hz: int = 25\n"),
    (FRAMES, "    accel_range_g: int = 4\n", "    accel_range_g: int = 8\n"),
    (FRAMES, "    gyro_range_dps: int = 500\n", "    gyro_range_dps: int = 1000\n"),
    (FRAMES, "    max_batch: int = MAX_SAMPLES_PER_FRAME\n", "    max_batch: int = 10\n"),
    (FRAMES, "    tick_hz: int = 1_000_000\n", "    tick_hz: int = 32_768\n"),
    (FRAMES, "    seconds: int = 1\n", "    seconds: int = 2\n"),
    (
        FRAMES,
        "_COMMAND_SIZES = {Opcode.START: 1, Opcode.STOP: 1, Opcode.CONFIGURE: 3, Opcode.IDENTIFY: 2}",
        "_COMMAND_SIZES = {Opcode.START: 1, Opcode.STOP: 2, Opcode.CONFIGURE: 3, Opcode.IDENTIFY: 2}",
    ),
]


def _forget_compiled(source: Path) -> None:
    """Drop the cached bytecode next to an edited source. The suite caches it, and a
    change of the same size written within the same second as the last one would
    otherwise pass Python's check (modification time in seconds, and size), so the
    next run would test the previous mutant."""
    shutil.rmtree(source.parent / "__pycache__", ignore_errors=True)


def main() -> int:
    caught = 0
    with tempfile.TemporaryDirectory(prefix="posture-constants-") as tmp:
        work = Path(tmp)
        for name in ("companion", "firmware_protocol", "tests"):
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "__snapshots__"))
        shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
        for path, old, new in CHANGES:
            target = work / path
            original = target.read_text()
            if original.count(old) != 1:
                print(f"stale change, {old!r} not once in {path}", file=sys.stderr)
                return 2
            target.write_text(original.replace(old, new))
            _forget_compiled(target)
            try:
                result = subprocess.run(
                    [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS],
                    cwd=work,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            finally:
                target.write_text(original)
                _forget_compiled(target)
            killed = result.returncode != 0
            caught += killed
            print(f"{'caught  ' if killed else 'SURVIVED'} {path}: {old.strip()} -> {new.strip()}", flush=True)
    print(f"{caught} of {len(CHANGES)} constant changes caught ({100 * caught / len(CHANGES):.0f} %)")
    return 0 if caught == len(CHANGES) else 1


if __name__ == "__main__":
    sys.exit(main())
