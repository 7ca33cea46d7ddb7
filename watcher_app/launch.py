"""How this app starts itself again: for a check process, the browser renderer, and login.

A source install runs `python -m watcher_app ARGS`; a frozen build (PyInstaller) runs its own
executable with the same arguments (scripts/frozen_entry.py dispatches them). Both understand
`--webrender ARGS` as "be the browser renderer", so every caller builds its command here.
"""

from __future__ import annotations

import sys

WEBRENDER_FLAG = "--webrender"


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def own_command(*args: str) -> list[str]:
    """The command line that runs this very app with `args`."""
    if frozen():
        return [sys.executable, *args]
    return [sys.executable, "-m", "watcher_app", *args]
