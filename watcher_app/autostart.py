""""Start at login": the platform's own autostart entry, written and removed on request.

Linux: an XDG autostart `.desktop` file in $XDG_CONFIG_HOME/autostart. macOS: a LaunchAgent
plist in ~/Library/LaunchAgents. Windows: a value under HKCU\\...\\Run. The command is the frozen
executable when frozen, else `python -m watcher_app`, started minimised to the tray.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import shlex
import sys
from pathlib import Path

from watcher_app import APP_ID, APP_NAME
from watcher_app.launch import own_command

LABEL = "org.governance-watcher.app"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command() -> list[str]:
    """How to start the app at login, minimised to the tray."""
    return own_command("--minimized")


def xdg_autostart_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def launch_agent_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def desktop_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Watches platforms' terms and policies and alerts on real changes\n"
        f"Exec={shlex.join(command)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Office;Utility;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled() -> bool:
    if sys.platform.startswith("win"):
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, APP_NAME)
            return True
        except OSError:
            return False
    if sys.platform == "darwin":
        return launch_agent_file().exists()
    return xdg_autostart_file().exists()


def set_enabled(enabled: bool) -> Path | None:
    """Write or remove the autostart entry; returns the file written (None on Windows/removal)."""
    command = launch_command()
    if sys.platform.startswith("win"):
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if enabled:
                winreg.SetValueEx(key, APP_NAME, 0, winreg.REG_SZ, _windows_command(command))
            else:
                with contextlib.suppress(OSError):
                    winreg.DeleteValue(key, APP_NAME)
        return None
    path = launch_agent_file() if sys.platform == "darwin" else xdg_autostart_file()
    if not enabled:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        data = plistlib.dumps({"Label": LABEL, "ProgramArguments": command, "RunAtLoad": True,
                               "ProcessType": "Interactive"})
        _atomic_write(path, data)
    else:
        _atomic_write(path, desktop_entry(command).encode("utf-8"))
    return path


def _windows_command(command: list[str]) -> str:
    return " ".join(f'"{part}"' if " " in part else part for part in command)


def _atomic_write(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)
