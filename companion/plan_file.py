"""Reading the training plan: the user's ``plan.toml`` in the config directory when
there is one, otherwise the built-in plan shipped with the package.

A user's file that cannot be used is reported (one line naming the file and key)
and the built-in plan is used instead; the file is never rewritten.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from .coach.plan import Plan, PlanError, plan_from_dict
from .paths import config_dir

FILE_NAME = "plan.toml"


def parse_plan(text: str, source: str) -> Plan:
    """Parse the TOML text of a plan file (``source`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"not valid TOML: {exc}", source, "") from exc
    return plan_from_dict(data, source)


def user_plan_path() -> Path:
    return config_dir() / FILE_NAME


def builtin_plan_text() -> str:
    return files("companion.coach").joinpath(FILE_NAME).read_text(encoding="utf-8")


def builtin_plan() -> Plan:
    return parse_plan(builtin_plan_text(), "built-in")


def load_plan(path: Path | None = None) -> tuple[Plan, str]:
    """The plan to use and a warning ("" when none): the file at ``path`` (default:
    the user's plan.toml) if present and valid, else the built-in plan."""
    path = path or user_plan_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return builtin_plan(), ""
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        return builtin_plan(), f"{path}: cannot read ({reason}); using the built-in plan"
    try:
        return parse_plan(text, str(path)), ""
    except PlanError as exc:
        return builtin_plan(), f"{exc}; using the built-in plan"
