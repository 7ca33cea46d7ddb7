"""Save tests/fixtures/db/schema-<LATEST>.sqlite3: the database this release leaves behind.

    python scripts/save_db_fixture.py

It is the newest saved database upgraded by this release's own migrations (what a user's
folder holds after the upgrade), plus one run of three verified checks recorded the way this
release records them (one row with a count). Later releases upgrade it in their tests.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from watcher_app.store import migrations  # noqa: E402
from watcher_app.store.db import DB_FILENAME, open_database  # noqa: E402
from watcher_app.store.models import Check, Version  # noqa: E402

SAVED = ROOT / "tests" / "fixtures" / "db"


def main() -> None:
    target = SAVED / f"schema-{migrations.LATEST}.sqlite3"
    older = sorted((p for p in SAVED.glob("schema-*.sqlite3") if p != target),
                   key=lambda p: int(p.stem.split("-")[1]))[-1]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(older, folder / DB_FILENAME)
        db = open_database(folder)
        current = Version.get(Version.current == True)  # noqa: E712
        first = dt.datetime(2026, 11, 26, 6, 0, 0)
        Check.create(document=current.document_id, started_at=first + dt.timedelta(days=1),
                     first_started_at=first, repeats=3, outcome="verified", code="same-text",
                     reason="verified", duration_s=0.2, http_status=200, version=current)
        db.close()
        conn = sqlite3.connect(folder / DB_FILENAME)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, like the others
        conn.execute("VACUUM")
        conn.close()
        shutil.copy(folder / DB_FILENAME, target)
    print(f"saved {target.relative_to(ROOT)} (upgraded from {older.name})")


if __name__ == "__main__":
    main()
