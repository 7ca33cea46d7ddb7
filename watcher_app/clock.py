"""The app's clock: naive UTC timestamps, as the database stores them.

Kept out of `store.models` so that code which only needs the time (the UI's "3 hours ago",
the digest's week) does not import the tables. `store.models` uses this same function for
its column defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# When set, what `utcnow` returns: the demo records its made-up history through the real
# check path at past dates (watcher_app/demo/seed.py); nothing else sets it.
clock_override: Callable[[], dt.datetime] | None = None


def utcnow() -> dt.datetime:
    """Naive UTC timestamps everywhere in the database (SQLite has no time zones)."""
    if clock_override is not None:
        return clock_override()
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
