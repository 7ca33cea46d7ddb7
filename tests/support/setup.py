"""Setup that many test files repeat: a fetcher for loopback tests and a custom platform whose
one document is served by the loopback server. The fixtures in tests/conftest.py wrap these."""

from __future__ import annotations

from typing import Any

import peewee

from watcher_app.fetch import Fetcher
from watcher_app.store.models import Document
from watcher_app.watchlist import add_custom


def make_fetcher(**overrides: Any) -> Fetcher:
    """A real fetcher for tests on 127.0.0.1: no retries, no sleeping between attempts,
    timeouts short enough that a hung test fails quickly (a loopback answer takes
    milliseconds). Keyword arguments override any of these."""
    options: dict[str, Any] = {"retries": 0, "timeout_s": 5, "connect_timeout_s": 2,
                               "backoff_s": 0, "sleep": lambda s: None}
    options.update(overrides)
    return Fetcher(**options)


def add_custom_doc(db: peewee.Database, url: str, *, platform_id: str = "acme",
                   name: str = "Acme Cloud", doc_type: str = "Privacy Policy",
                   select: str | list[str] | None = "main", **source: Any) -> Document:
    """A custom platform (added as the app adds one) with one document read from `url`;
    `source` adds declaration fields such as `remove` or `executeClientScripts`."""
    declared: dict[str, Any] = {"fetch": url, **source}
    if select is not None:
        declared["select"] = select
    add_custom(db, platform_id, {"name": name, "terms": {doc_type: declared}})
    return Document.get((Document.platform == platform_id) & (Document.type == doc_type))
