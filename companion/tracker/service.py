"""Running ``posture track`` at login: a systemd user unit or a launchd agent."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

UNIT_NAME = "posture.service"
AGENT_LABEL = "org.posture.tracker"


@dataclass(frozen=True)
class ServiceFile:
    manager: str  # "systemd" | "launchd"
    path: Path
    text: str
    enable: tuple[tuple[str, ...], ...]
    disable: tuple[tuple[str, ...], ...]
    status: tuple[str, ...]


def track_command(address: str, kind: str, name: str = "") -> list[str]:
    command = [sys.executable, "-m", "companion", "track", "--address", address, "--kind", kind]
    return command + (["--name", name] if name else [])


def _environment() -> dict[str, str]:
    home = os.environ.get("POSTURE_HOME")
    return {"POSTURE_HOME": str(Path(home).expanduser().resolve())} if home else {}


def systemd_unit(command: list[str], environment: dict[str, str]) -> str:
    lines = [
        "[Unit]",
        "Description=posture: upper-back posture tracker",
        "After=bluetooth.target",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={shlex.join(command)}",
        *(f"Environment={shlex.quote(f'{key}={value}')}" for key, value in environment.items()),
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStopSec=10",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def launchd_plist(command: list[str], environment: dict[str, str], log_path: Path) -> str:
    arguments = "\n".join(f"        <string>{escape(part)}</string>" for part in command)
    env = "".join(
        f"\n        <key>{escape(k)}</key>\n        <string>{escape(v)}</string>" for k, v in environment.items()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>{AGENT_LABEL}</string>
    <key>ProgramArguments</key>
    <array>
{arguments}
    </array>
    <key>EnvironmentVariables</key>
    <dict>{env}
    </dict>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <dict>
        <key>SuccessfulExit</key>
        <false/>
    </dict>
    <key>StandardErrorPath</key>
    <string>{escape(str(log_path))}</string>
</dict>
</plist>
"""


def service_file(command: list[str], platform: str | None = None) -> ServiceFile:
    environment = _environment()
    if (platform or sys.platform) == "darwin":
        path = Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        log_path = Path.home() / "Library" / "Logs" / "posture-tracker.log"
        return ServiceFile(
            "launchd",
            path,
            launchd_plist(command, environment, log_path),
            enable=(("launchctl", "load", "-w", str(path)),),
            disable=(("launchctl", "unload", "-w", str(path)),),
            status=("launchctl", "list", AGENT_LABEL),
        )
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = config / "systemd" / "user" / UNIT_NAME
    return ServiceFile(
        "systemd",
        path,
        systemd_unit(command, environment),
        enable=(("systemctl", "--user", "daemon-reload"), ("systemctl", "--user", "enable", "--now", UNIT_NAME)),
        disable=(("systemctl", "--user", "disable", "--now", UNIT_NAME), ("systemctl", "--user", "daemon-reload")),
        status=("systemctl", "--user", "status", "--no-pager", UNIT_NAME),
    )


def run_commands(commands: tuple[tuple[str, ...], ...]) -> list[str]:
    """Run each command; the problems, one line each (a missing tool included)."""
    problems = []
    for command in commands:
        if shutil.which(command[0]) is None:
            problems.append(f"{command[0]} not found: run `{shlex.join(command)}` yourself")
            continue
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            problems.append(f"`{shlex.join(command)}` failed: {detail[-1] if detail else f'exit {result.returncode}'}")
    return problems
