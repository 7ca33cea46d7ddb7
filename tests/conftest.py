"""Shared test setup. Qt must never need a display in tests: offscreen unless told otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The browser fallback for blocked pages is tested in test_render.py; elsewhere the deliberately
# blocked fixture pages would start a browser each, slowly, to see the same fake page.
os.environ.setdefault("GOVERNANCE_WATCHER_RENDER", "0")

from tests.loopback import LoopbackServer  # noqa: E402
from tests.paths import FIXTURES, REALWORLD, REPO  # noqa: E402, F401 - re-exported


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
