"""Where the tests find things: the repository, the fixtures, and the read-only shared data.

One place for these paths, so a test file can move into the folder that mirrors its module
without its relative paths breaking.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
PAGES = FIXTURES / "pages"
PDFS = FIXTURES / "pdf"
SAVED_DBS = sorted((FIXTURES / "db").glob("schema-*.sqlite3"),
                   key=lambda p: int(p.stem.split("-")[1]))
CATALOG_DIR = REPO / "resources" / "catalog"
BENCH = REPO / "bench"
# ../shared beside the checkout (read-only; tests that need it skip when it is absent)
SHARED = REPO.parent / "shared"
REALWORLD = SHARED / "realworld"
REPLAY_TOOL = SHARED / "tools" / "replay.py"
OTA = SHARED / "opentermsarchive"
CATALOG_SNAPSHOTS = SHARED / "catalog-snapshots"
