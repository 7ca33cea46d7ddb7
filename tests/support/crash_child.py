"""Child process of tests/test_crash_safety.py: check every active document, forever.

    python tests/support/crash_child.py DATA_DIR [--max-seconds S] [--trace]

Opens the database in DATA_DIR (as the app and the command line do), prints ``ready``, then runs
check cycles until it is killed (that is the point) or until ``--max-seconds`` have passed (so an
orphan never outlives a crashed test run). After each check it prints one line,
``STATUS<TAB>REASON``, flushed, so the parent can tell which paths the checks took. With
``--trace`` it also prints ``begin`` just before each write transaction of the monitor and
``end`` just after its commit, so the parent can aim its kills at the commit window.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import peewee

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from watcher_app.fetch import Fetcher  # noqa: E402
from watcher_app.monitor import Monitor  # noqa: E402
from watcher_app.store.db import open_database  # noqa: E402
from watcher_app.watchlist import active_documents  # noqa: E402


def trace_transactions(db: peewee.Database) -> None:
    """Announce every `db.atomic()` block the monitor opens (it calls it on this object)."""
    atomic = db.atomic

    @contextlib.contextmanager
    def traced(*args: object, **kwargs: object) -> Iterator[None]:
        print("begin", flush=True)
        with atomic(*args, **kwargs):
            yield
        print("end", flush=True)

    db.atomic = traced  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args(argv)
    db = open_database(args.data_dir)
    if args.trace:
        trace_transactions(db)
    fetcher = Fetcher(retries=0, timeout_s=2, connect_timeout_s=1, backoff_s=0)
    monitor = Monitor(db, fetcher, confirm_delay_s=0)
    print("ready", flush=True)
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        for doc in active_documents():  # fresh rows every cycle, as the scheduler loads them
            result = monitor.check(doc)
            print(f"{result.status}\t{result.reason}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
