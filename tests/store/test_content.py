"""The small store (schema 4): texts and snapshots in compressed chunks, each stored once;
runs of identical verified checks in one row; `verify` still hashes the text itself."""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
from pathlib import Path

import peewee

from tests.paths import SAVED_DBS
from watcher_app.reports import verify
from watcher_app.store import content
from watcher_app.store.db import DB_FILENAME, open_database
from watcher_app.store.models import Check, Chunk, Document, Snapshot, Version
from watcher_app.watchlist import add_custom

WORDS = "data account share partners retain delete rights request consent law".split()


def policy(seed: int, paragraphs: int = 300) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + "."
            for _ in range(paragraphs)]


def test_boundaries_depend_on_content_not_position() -> None:
    lines = policy(1)
    text = "\n".join(lines).encode()
    edited = "\n".join(["A new opening paragraph that shifts every byte after it.", *lines])
    before, after = content.split(text), content.split(edited.encode())
    assert b"".join(before) == text and len(before) > 5
    assert all(content.MIN_CHUNK <= len(p) <= content.MAX_CHUNK for p in before[:-1])
    assert len(set(before) - set(after)) == 1  # only the piece holding the edit differs


def test_a_line_longer_than_a_chunk_is_still_cut_and_read_back() -> None:
    blob = bytes(random.Random(2).getrandbits(8) for _ in range(200_000)).replace(b"\n", b" ")
    pieces = content.split(blob, content.RAW)
    assert b"".join(pieces) == blob and max(len(p) for p in pieces) <= content.MAX_CHUNK


def add_doc(db: peewee.Database) -> Document:
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": "https://acme.example/p", "select": "main"}}})
    return Document.get()


def new_version(doc: Document, text: str) -> Version:
    return Version.create(document=doc, text=text, sha256=hashlib.sha256(
        text.encode()).hexdigest(), key_sha256="k", extractor_version=1)


def test_versions_share_their_unchanged_chunks(db: peewee.Database) -> None:
    doc = add_doc(db)
    lines = policy(3)
    first = new_version(doc, "\n".join(lines))
    stored = Chunk.select().count()
    lines[150] = "We now sell your data to advertisers."
    second = new_version(doc, "\n".join(lines))
    assert Chunk.select().count() <= stored + 2  # the edited piece (and maybe a neighbour)
    again = new_version(doc, "\n".join(lines))  # an identical text: no new bytes at all
    assert Chunk.select().count() <= stored + 2
    fresh = Version.get_by_id(second.id)
    assert fresh.text == "\n".join(lines) and fresh.size == len(fresh.text)
    assert Version.get_by_id(first.id).text != fresh.text
    assert Version.get_by_id(again.id).text_chunks == fresh.text_chunks
    stored_bytes = sum(len(c.data) for c in Chunk.select())
    assert stored_bytes < len(fresh.text) / 2  # compressed, and the three texts share it


def test_snapshot_bytes_round_trip_and_verify(db: peewee.Database) -> None:
    doc = add_doc(db)
    raw = ("<html><body><main>" + "".join(f"<p>{p}</p>" for p in policy(4)) +
           "</main></body></html>").encode()
    snap = Snapshot.create(document=doc, url="https://acme.example/p", http_status=200,
                           content_type="text/html", sha256=hashlib.sha256(raw).hexdigest(),
                           size=len(raw), body=raw)
    new_version(doc, "just a text")
    assert Snapshot.get_by_id(snap.id).body == raw
    problems, counted = verify(db)
    assert problems == [] and counted == {"versions": 1, "snapshots": 1}
    first_chunk = content.unpack(Snapshot.get_by_id(snap.id).raw_chunks)[0]
    Chunk.update(data=b"not zlib").where(Chunk.id == first_chunk).execute()
    problems, _ = verify(db)
    assert len(problems) == 1
    assert problems[0].startswith(f"snapshot {snap.id}: compressed bytes are corrupt (chunk "
                                  f"{first_chunk} is corrupt")


def test_verify_hashes_the_text_not_the_compressed_bytes(db: peewee.Database) -> None:
    doc = add_doc(db)
    version = new_version(doc, "\n".join(policy(5, 40)))
    assert verify(db)[0] == []
    Version.update(sha256=hashlib.sha256(b"other").hexdigest()).where(
        Version.id == version.id).execute()
    assert verify(db)[0] == [f"version {version.id}: text does not match its SHA-256"]


def test_schema_4_collapses_runs_of_verified_checks(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    shutil.copy(next(p for p in SAVED_DBS if p.stem == "schema-3"), path)
    rows = [("verified", "same-text", 2, "2026-12-01 06:00:00"),
            ("verified", "same-text", 2, "2026-12-01 18:00:00"),
            ("verified", "same-text", 2, "2026-12-02 06:00:00"),
            ("error", "timeout", None, "2026-12-02 18:00:00"),
            ("verified", "same-text", 2, "2026-12-03 06:00:00"),
            ("verified", "same-text", 2, "2026-12-03 18:00:00")]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            'INSERT INTO "check" (document_id, started_at, duration_s, outcome, code, reason, '
            "version_id) VALUES (1, ?, 0, ?, ?, 'r', ?)",
            [(at, outcome, code, version) for outcome, code, version, at in rows])
    db = open_database(tmp_path)
    got = [(c.outcome, c.repeats, str(c.first_started_at or ""), str(c.started_at))
           for c in Check.select().order_by(Check.started_at, Check.id)][2:]
    assert got == [("verified", 3, "2026-12-01 06:00:00", "2026-12-02 06:00:00"),
                   ("error", 1, "", "2026-12-02 18:00:00"),
                   ("verified", 2, "2026-12-03 06:00:00", "2026-12-03 18:00:00")]
    assert verify(db)[0] == []
    db.close()
