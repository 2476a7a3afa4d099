"""One line of tracker status for tmux, waybar, polybar, i3blocks or a prompt. Pure."""

from __future__ import annotations

import math
import string
from typing import Any

from ..errors import UsageError

FIELDS = {
    "text": "the default line, e.g. 'upright 4° · 82% today'",
    "state": "upright, slouching, alerted, moving, paused, lost, connecting, reconnecting, uncalibrated, calibrating, recalibrate, stretching",
    "flexion": "forward tilt beyond upright in whole degrees ('-' when unknown)",
    "lateral": "side lean in whole degrees ('-' when unknown)",
    "share": "upright share of the judged time today, e.g. '82%'",
    "held": "how long the current slouch has lasted, m:ss",
    "pause_left": "minutes of pause left ('' when not paused or paused until resumed)",
    "battery": "sensor battery in percent ('-' when unknown)",
    "episodes": "slouch episodes today",
    "alerts": "slouch and side-lean alerts delivered today",
    "snoozed": "'snoozed' while nudges are snoozed, else ''",
}


class TemplateError(UsageError):
    pass


def _deg(value: float | None) -> str:
    # round() + 0.0: -0.3 deg reads 0, never "-0".
    return "-" if value is None else f"{round(value) + 0.0:.0f}"


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def fields(status: dict[str, Any]) -> dict[str, str]:
    today = status.get("today", {})
    pause_left = status.get("pause_left_s")
    battery = status.get("sensor", {}).get("battery")
    values = {
        "state": status["state"],
        "flexion": _deg(status.get("flexion_deg")),
        "lateral": _deg(status.get("lateral_deg")),
        "share": f"{today.get('upright_share', 1.0):.0%}",
        "held": _clock(status.get("held_s") or 0.0),
        "pause_left": "" if pause_left is None else str(math.ceil(pause_left / 60)),
        "battery": "-" if battery is None else str(battery),
        "episodes": str(today.get("episodes", 0)),
        "alerts": str(today.get("alerts", 0)),
        "snoozed": "snoozed" if status.get("snoozed_until") else "",
    }
    values["text"] = default_line(status, values)
    return values


def default_line(status: dict[str, Any], values: dict[str, str]) -> str:
    state = status["state"]
    share = f"{values['share']} today"
    if state == "paused":
        line = f"paused {values['pause_left']} min" if values["pause_left"] else "paused"
    elif state == "lost":
        line = "sensor lost"
    elif state in ("connecting", "reconnecting"):
        line = f"sensor {state}"
    elif state in ("slouching", "alerted"):
        line = f"SLOUCH {values['flexion']}° {values['held']}"
    elif state == "upright" and status.get("flexion_deg") is None:
        line = f"upright · {share}"  # the first reading after a pause is still to come
    elif state == "upright":
        line = f"upright {values['flexion']}° · {share}"
    elif state == "uncalibrated":
        line = "not calibrated: posture calibrate"
    elif state == "recalibrate":
        line = "recalibrate: posture calibrate"
    else:
        line = f"{state} · {share}"
    if values["snoozed"] and state != "paused":
        line += " · snoozed"
    return line


def render(status: dict[str, Any], template: str | None = None) -> str:
    values = fields(status)
    if template is None:
        return values["text"]
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"--format {template!r}: {exc}") from None
    for _literal, name, _spec, _conversion in parsed:
        if name is not None and name not in values:
            raise TemplateError(
                f"--format: unknown field {{{name}}}; known: {', '.join('{' + k + '}' for k in FIELDS)}"
            )
    try:
        return template.format_map(values)
    except (ValueError, IndexError) as exc:
        raise TemplateError(f"--format {template!r}: {exc}") from None
