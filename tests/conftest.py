"""Shared test setup. Qt must never need a display in tests: offscreen unless told otherwise."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The browser fallback for blocked pages is tested in test_render.py; elsewhere the deliberately
# blocked fixture pages would start a browser each, slowly, to see the same fake page.
os.environ.setdefault("GOVERNANCE_WATCHER_RENDER", "0")

from tests.loopback import LoopbackServer  # noqa: E402
from tests.paths import FIXTURES, REALWORLD, REPO  # noqa: E402, F401 - re-exported
from tests.support.setup import add_custom_doc, make_fetcher  # noqa: E402


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def db(tmp_path: Path):
    """A real SQLite database in a temporary folder, models bound to it."""
    from watcher_app.store.db import open_database

    database = open_database(tmp_path / "data")
    yield database
    database.close()


@pytest.fixture
def quick_fetcher():
    """A real fetcher for loopback tests (no retries, no waiting), closed after the test."""
    with make_fetcher() as fetcher:
        yield fetcher


@pytest.fixture
def custom_doc(db, server: LoopbackServer) -> Callable[..., Any]:
    """Makes a custom platform whose document the loopback server serves at `path`:
    ``doc = custom_doc("<html>…</html>")``, or ``custom_doc(path="/tos", select=None)``.
    Keyword arguments go to tests.support.setup.add_custom_doc."""

    def make(html: str | bytes | None = None, *, path: str = "/privacy", **options: Any):
        if html is not None:
            server.route(path, html)
        return add_custom_doc(db, server.url(path), **options)

    return make
