"""Upgrades keep the user's data: the database is migrated in place (backed up first).

Every saved database of a past schema (tests/fixtures/db/schema-N.sqlite3, the file an older
release left in the user's data folder) is opened by this release's command line exactly as
an upgraded install would open it. What it held is read straight from the saved file with
sqlite3 beforehand, so "intact" means equal to the original, not merely "something came back".
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.paths import SAVED_DBS
from watcher_app.store import content, migrations
from watcher_app.store.db import DB_FILENAME

SAVED = SAVED_DBS
PLATFORM = "acme"


def schema_of(path: Path) -> int:
    return int(path.stem.split("-")[1])


def gw(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=120)


def snapshot(path: Path, *, immutable: bool = False) -> dict[str, Any]:
    """What the user had, read without the app: versions, checks, changes, settings.
    `immutable` for the saved fixtures: reading a WAL database otherwise leaves -wal/-shm
    files next to it, and the fixtures must stay exactly as committed."""
    mode = "immutable=1" if immutable else "mode=ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    try:
        rows = {
            "versions": versions_of(conn),
            "snapshots": snapshots_of(conn),
            "checks": conn.execute(
                'SELECT id, document_id, outcome, reason, version_id FROM "check" '
                "ORDER BY id").fetchall(),
            "changes": conn.execute(
                "SELECT id, from_version_id, to_version_id, severity, categories, summary "
                "FROM change ORDER BY id").fetchall(),
            "settings": conn.execute("SELECT key, value FROM setting ORDER BY key").fetchall(),
            "schema": conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0],
        }
    finally:
        conn.close()
    return rows


def versions_of(conn: sqlite3.Connection) -> list[tuple[int, int, str, str]]:
    """(id, document, text, sha256) of every version: schemas 1–3 kept the text in a column,
    schema 4 in compressed chunks (read back with the store's reader, then compared with the
    text the old file held)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(version)")}
    if "text" in columns:
        return conn.execute("SELECT id, document_id, text, sha256 FROM version ORDER BY id"
                            ).fetchall()
    return [(vid, doc, content.load(conn.execute, chunks).decode("utf-8"), digest)
            for vid, doc, chunks, digest in conn.execute(
                "SELECT id, document_id, text_chunks, sha256 FROM version ORDER BY id")]


def snapshots_of(conn: sqlite3.Connection) -> list[tuple[int, bytes, str]]:
    """(id, raw bytes, sha256) of every snapshot, whichever way the schema stored them."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(snapshot)")}
    if "raw" in columns:
        return [(sid, zlib.decompress(raw), digest) for sid, raw, digest in conn.execute(
            "SELECT id, raw, sha256 FROM snapshot ORDER BY id")]
    return [(sid, content.load(conn.execute, chunks), digest) for sid, chunks, digest in
            conn.execute("SELECT id, raw_chunks, sha256 FROM snapshot ORDER BY id")]


def test_a_saved_database_exists_for_every_past_schema() -> None:
    assert SAVED, "tests/fixtures/db has no saved databases"
    assert {schema_of(p) for p in SAVED} == {m.version for m in migrations.MIGRATIONS}


@pytest.mark.parametrize("saved", SAVED, ids=lambda p: p.stem)
def test_upgrade_keeps_the_data_and_backs_up_first(saved: Path, tmp_path: Path) -> None:
    version = schema_of(saved)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(saved, data / DB_FILENAME)
    before = snapshot(saved, immutable=True)
    assert before["schema"] == version

    history = gw(data, "history", PLATFORM, "--json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)

    # every check is still there, newest first, with its outcome, reason and version
    assert [(r["outcome"], r["reason"], r["version"]) for r in rows] == [
        (outcome, reason, version_id)
        for _, _, outcome, reason, version_id in reversed(before["checks"])]
    # and every change with its analysis
    changes = [r["change"] for r in rows if r["change"]]
    assert [(c["id"], c["from"], c["to"], c["severity"], c["categories"], c["summary"])
            for c in changes] == [
        (cid, old, new, severity, json.loads(categories), summary)
        for cid, old, new, severity, categories, summary in before["changes"]]

    # the latest version's text is byte for byte the stored one
    shown = gw(data, "show", PLATFORM, "Privacy Policy")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == before["versions"][-1][2] + "\n"

    verified = gw(data, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"verified {len(before['versions'])} versions" in verified.stdout
    assert "OK" in verified.stdout

    after = snapshot(data / DB_FILENAME)
    assert after["schema"] == migrations.LATEST
    for table in ("versions", "snapshots", "checks", "changes", "settings"):
        assert after[table] == before[table], f"{table} changed in the upgrade"

    backups = sorted(data.glob(f"watcher.schema{version}-*.sqlite3"))
    if version < migrations.LATEST:
        assert len(backups) == 1, f"expected one backup of schema {version}: {backups}"
        backup = snapshot(backups[0])
        assert backup == before, "the backup is not the database as it was before the upgrade"
    else:
        assert backups == [], "an up-to-date database needs no backup"

    # opening it again (the next start) neither migrates nor backs up again
    assert gw(data, "verify").returncode == 0
    assert sorted(data.glob("watcher.schema*-*.sqlite3")) == backups
