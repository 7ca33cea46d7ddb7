"""One run of `governance-watcher --demo`: a throw-away data folder, the built-in site, the
recorded history, and the network closed to everything but this machine.

The data folder is a fresh temporary folder (never the user's), removed by `close`. A demo
that could not clean up (killed, power cut) leaves its folder behind; the next demo removes
folders whose process is gone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import peewee

from watcher_app import autostart
from watcher_app.demo import offline
from watcher_app.demo.keystore import restore_keyring, use_demo_keyring
from watcher_app.demo.seed import ORIGIN, SeedReport, seed_history
from watcher_app.demo.site import DemoSite, Pace
from watcher_app.isolated import CheckWorker
from watcher_app.render import RENDER_ENV
from watcher_app.settings import load_settings, save_settings
from watcher_app.store.db import open_database
from watcher_app.store.models import Platform

BANNER = "Demo \u2014 fictional platforms; nothing leaves this machine"
FOLDER_PREFIX = "governance-watcher-demo-"
_FOLDER = re.compile(re.escape(FOLDER_PREFIX) + r"(\d+)-")


class DemoSession:
    """Everything `--demo` sets up, in order; `close` undoes it."""

    def __init__(self, pace: Pace | None = None, *, clock: Callable[[], float] = time.time,
                 today: dt.date | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.pace = pace or Pace()
        self.clock = clock  # the site's schedule and the app's scheduler both read it
        self._environ = {name: os.environ.get(name) for name in (offline.OFFLINE_ENV,
                                                                 RENDER_ENV)}
        # Before anything can reach the network: this process and its check processes stay
        # on this machine, and no browser renderer is started for a page.
        os.environ[offline.OFFLINE_ENV] = "1"
        os.environ[RENDER_ENV] = "0"
        offline.activate()
        use_demo_keyring()  # a credential typed into the demo never reaches the real keyring
        remove_stale_folders()
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        self.site = DemoSite(every_s=self.pace.edit_every_s, clock=clock, today=today)
        self._db: peewee.SqliteDatabase | None = None
        try:
            self.site.start()
            self.db: peewee.SqliteDatabase = open_database(self.data_dir)
            self._db = self.db
            self.report: SeedReport = seed_history(self.db, self.site, self.pace,
                                                   progress=progress)
            # The demo's settings say what the system says about start at login, so saving
            # them in the demo never adds or removes the real app's login entry.
            settings = load_settings()
            settings.start_at_login = autostart.is_enabled()
            save_settings(settings)
        except BaseException:
            self.close()
            raise

    def monitor_factory(self) -> CheckWorker:
        """The desktop app's own checks (its long-lived check worker), paced for the demo."""
        return CheckWorker(self.data_dir, confirm_delay_s=self.pace.confirm_delay_s)

    def platform_ids(self) -> list[str]:
        return [p.id for p in self.site.platforms]

    def watching_demo(self) -> bool:
        return Platform.select().where((Platform.origin == ORIGIN)
                                       & (Platform.watched == True)).exists()  # noqa: E712

    def watchlist_changed(self) -> None:
        """The user picked platforms: once demo platforms are watched, their policies start
        changing on schedule."""
        if self.watching_demo():
            self.site.start_changes()

    def close(self) -> None:
        self.site.stop()
        if self._db is not None:
            self._db.close()
            self._db = None
        shutil.rmtree(self.data_dir, ignore_errors=True)
        for name, value in self._environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        offline.deactivate()
        restore_keyring()

    def __enter__(self) -> DemoSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap probe: keep it (the temp folder cleaner will get it)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders(root: Path | None = None) -> list[Path]:
    """Remove the data folders of demos whose process is gone."""
    removed = []
    root = root or Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for path in root.glob(f"{FOLDER_PREFIX}*"):
            match = _FOLDER.match(path.name)
            if match and path.is_dir() and not _alive(int(match.group(1))):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed
