"""``posture analyze``: a recording replayed through the posture engine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .output import EXIT_OK, EXIT_USAGE, CliError, Output

if TYPE_CHECKING:
    from ..analysis import Analysis

#: Engine states that count as slouched in the per-minute summary.
SLOUCHED_STATES = ("slouching", "alerted")


def minute_table(frames: list[dict[str, object]]) -> list[str]:
    """One line per minute of the recording that has frames: mean and max forward
    flexion beyond upright, the share of its seconds slouched, and the mean side
    lean (positive to the right, as the engine reports it)."""
    if not frames:
        return []
    t0 = float(frames[0]["t_s"])  # type: ignore[arg-type]
    minutes: dict[int, list[dict[str, object]]] = {}
    for frame in frames:
        minutes.setdefault(int((float(frame["t_s"]) - t0) // 60), []).append(frame)  # type: ignore[arg-type]
    lines = ["minute  mean deg  max deg  slouched  lean deg (+ right)"]
    for minute, group in sorted(minutes.items()):
        flexion = [float(f["flexion_deg"]) for f in group]  # type: ignore[arg-type]
        lateral = [float(f["lateral_deg"]) for f in group]  # type: ignore[arg-type]
        slouched = sum(f["state"] in SLOUCHED_STATES for f in group) / len(group)
        mean, lean = (round(sum(v) / len(v), 1) + 0.0 for v in (flexion, lateral))  # + 0.0: no "-0.0"
        lines.append(f"{minute:>6}  {mean:>8.1f}  {max(flexion):>7.1f}  {slouched:>8.0%}  {lean:>+18.1f}")
    return lines


async def cmd_analyze(args: argparse.Namespace, out: Output) -> int:
    from ..analysis import analyze
    from ..engine import CalibrationError, EngineSettings, SettingError
    from ..recording import RecordingError

    try:
        options = {"delay_s": args.delay}
        if args.threshold is not None:
            options["threshold_deg"] = args.threshold
        settings = EngineSettings(**options)
    except SettingError as exc:
        option = {"threshold_deg": "--threshold", "delay_s": "--delay"}.get(exc.key, exc.key)
        raise CliError(f"{option} {exc.value:g} is not allowed: {exc.allowed}", EXIT_USAGE) from exc
    try:
        result = analyze(Path(args.file), settings, calibration=args.calibrate, lean=args.lean)
    except RecordingError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except CalibrationError as exc:
        raise CliError(f"{args.file}: cannot calibrate: {exc}", EXIT_USAGE) from exc
    for notice in result.notices:
        out.message(f"{args.file}: {notice}")
    if args.json:
        out.result(json.dumps(result.as_json()))
        return EXIT_OK
    out.result(
        f"{args.file}: {result.samples} samples, {result.duration_s:.0f} s at {result.rate_hz:.1f} Hz "
        f"({result.worn_s:.0f} s worn, {len(result.gaps)} gap(s)); "
        f"{_frame_sources(result)}"
    )
    out.result(f"threshold {settings.threshold_deg:g} deg, alert after {settings.delay_s:g} s")
    for line in minute_table(result.frames):
        out.result(line)
    if not result.episodes:
        out.result("no slouch episodes")
    for ep in result.episodes:
        end = "still slouching at the end" if ep["end_s"] is None else f"to {ep['end_s']:.0f} s"
        detail = "" if ep["peak_deg"] is None else f", peak {ep['peak_deg']:.0f} deg, mean {ep['mean_deg']:.0f} deg"
        out.result(f"slouch from {ep['start_s']:.0f} s {end}{detail}{' (alerted)' if ep['alerted'] else ''}")
    for alert in result.alerts:
        out.result(f"alert at {alert['t_s']:.0f} s: {alert['kind']} {alert['angle_deg']:.0f} deg")
    return EXIT_OK


def _frame_sources(result: Analysis) -> str:
    """Where upright and forward came from, in words."""
    start, end = result.calibration
    if start == end:  # no window: the recording's calibration gave both
        return "upright and forward from the recorded calibration"
    forward = result.forward_from if result.forward_from.startswith("not needed") else "from the " + result.forward_from
    return f"upright from {start:g}-{end:g} s, forward {forward}"
