"""Where things live: the data folder, the bundled resources, and the user-facing limits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from watcher_app import APP_ID

HOME_ENV = "GOVERNANCE_WATCHER_HOME"
MAX_WATCHED_PLATFORMS = 10
DEFAULT_CONFIRM_DELAY_S = 60.0
DEFAULT_CHECK_INTERVAL_S = 6 * 3600
MIN_CHECK_INTERVAL_S = 15 * 60


class DataDirError(ValueError):
    """The data folder cannot be used; the message is for the user."""


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the database: --data-dir, then $GOVERNANCE_WATCHER_HOME, then the
    platform's user data folder (e.g. ~/.local/share/governance-watcher). Created owner-only
    (it holds pages read behind a login)."""
    chosen = override or os.environ.get(HOME_ENV) or platformdirs.user_data_dir(APP_ID, False)
    path = Path(chosen).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is a file, not a folder" if path.is_file() else (exc.strerror or str(exc))
        raise DataDirError(f"cannot use {path} as the data folder: {why}") from None
    return path


def resources_dir() -> Path:
    """The bundled resources (catalogue, rules, icons) in a frozen build, an installed wheel,
    or a source checkout, in that order."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen:
        candidates.append(Path(frozen) / "resources")
    here = Path(__file__).resolve().parent
    candidates += [here / "resources", here.parent / "resources"]
    for candidate in candidates:
        if (candidate / "catalog").is_dir():
            return candidate
    raise FileNotFoundError("Governance Watcher's resources folder is missing from this install")
