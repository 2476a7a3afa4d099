"""The CLI as a dispatcher over one module per command family, imported lazily."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from companion.cli import build_parser, resolve

FAMILIES = {"sensor", "analysis", "history", "plan", "tracker", "app"}


def _subcommands() -> dict[str, str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: sub.get_default("handler") for name, sub in action.choices.items()}


def test_every_command_names_a_function_of_its_family_module():
    handlers = _subcommands()
    assert {"scan", "stream", "record", "analyze", "report", "export", "plan", "track", "status", "app", "demo"} <= set(
        handlers
    )
    for name, handler in handlers.items():
        family, _, function = handler.partition(".")
        assert family in FAMILIES, name
        assert callable(resolve(handler)), name
        assert function.startswith("cmd_"), name


def test_a_command_imports_only_its_own_family(tmp_path):
    code = (
        "import json, sys\n"
        "from companion.cli import main\n"
        "main(['report'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('companion.commands.'))), file=sys.stderr)\n"
    )
    env = {**os.environ, "POSTURE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert loaded == ["companion.commands.history", "companion.commands.output", "companion.commands.plan"]


def test_help_imports_no_command_family(tmp_path):
    code = (
        "import json, sys\n"
        "from companion.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('companion.commands.'))), file=sys.stderr)\n"
    )
    env = {**os.environ, "POSTURE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert json.loads(result.stderr.strip().splitlines()[-1]) == ["companion.commands.output"]
