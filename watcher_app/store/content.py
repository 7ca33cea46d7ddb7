"""Content-addressed storage of version texts and raw snapshots: compressed, each piece once.

Consecutive versions of a policy differ in a paragraph or two, and consecutive snapshots of a
page in a nonce or a build id; stored whole, two years of them fill tens of MB with the same
bytes. So a text or a page is cut into chunks at content-defined boundaries (a line end, or a
tag end for HTML, where a hash of the bytes before it says "cut"), each chunk is stored once
(keyed by its SHA-256) and zlib-compressed, and a version or snapshot keeps only the list of its
chunk ids. An edit changes the chunk it falls in; every other chunk is shared with the previous
version, whatever moved around it.

Integrity is unchanged: a version's SHA-256 is that of its TEXT and a snapshot's that of its
raw BYTES, recomputed by `verify` from the reassembled content, never of the compressed form.
Chunks are written in the caller's transaction, so a crash never leaves a version pointing at
missing pieces; an orphaned chunk (its version rolled back) only costs space.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

FORMAT = 1  # first byte of a chunk list: 1 = little-endian uint32 chunk ids
LEVEL = 6  # zlib level: 9 saves ~1 % more here for twice the time
MIN_CHUNK = 512
MAX_CHUNK = 64 * 1024
WINDOW = 48  # bytes hashed before a candidate boundary
# (candidate boundaries, 1-in-N of them cut): a text's lines average a few hundred bytes and
# an HTML page has a tag end every few dozen; both give chunks of a few KB.
TEXT = (re.compile(rb"\n"), 16)
RAW = (re.compile(rb"[>\n]"), 96)


class ContentError(Exception):
    """Stored content that cannot be read back (a missing or corrupt chunk)."""


def split(data: bytes, rule: tuple[re.Pattern[bytes], int] = TEXT) -> list[bytes]:
    """Cut `data` at content-defined boundaries: the same bytes around a boundary cut the same
    way wherever they sit, so an insertion earlier in the text moves no later boundary."""
    pattern, every = rule
    pieces: list[bytes] = []
    start = 0
    for match in pattern.finditer(data):
        end = match.end()
        if end - start < MIN_CHUNK:
            continue
        if end - start >= MAX_CHUNK or zlib.crc32(data[end - WINDOW:end]) % every == 0:
            pieces.append(data[start:end])
            start = end
    while len(data) - start > MAX_CHUNK:  # a long run without any boundary (minified, binary)
        pieces.append(data[start:start + MAX_CHUNK])
        start += MAX_CHUNK
    if start < len(data) or not pieces:
        pieces.append(data[start:])
    return pieces


def pack(ids: Sequence[int]) -> bytes:
    return bytes([FORMAT]) + struct.pack(f"<{len(ids)}I", *ids)


def unpack(packed: bytes) -> list[int]:
    if not packed or packed[0] != FORMAT or (len(packed) - 1) % 4:
        raise ContentError("unreadable chunk list")
    return list(struct.unpack(f"<{(len(packed) - 1) // 4}I", packed[1:]))


class Prepared:
    """Content cut and compressed ahead of the write transaction (the lock is held shorter)."""

    def __init__(self, data: bytes, rule: tuple[re.Pattern[bytes], int]) -> None:
        self.size = len(data)
        self.pieces = [(hashlib.sha256(p).digest(), len(p), zlib.compress(p, LEVEL))
                       for p in split(data, rule)]


Execute = Callable[[str, Sequence[Any]], Any]  # sqlite3's conn.execute, peewee's execute_sql


def store(execute: Execute, prepared: Prepared) -> bytes:
    """Insert the chunks not stored yet (inside the caller's transaction); return the
    content's chunk list."""
    ids: list[int] = []
    for digest, size, data in prepared.pieces:
        row = execute("SELECT id FROM chunk WHERE sha = ?", (digest,)).fetchone()
        if row is not None:
            ids.append(int(row[0]))
            continue
        cursor = execute("INSERT INTO chunk (sha, size, data) VALUES (?, ?, ?)",
                         (digest, size, data))
        ids.append(int(cursor.lastrowid))
    return pack(ids)


def load(execute: Execute, packed: bytes) -> bytes:
    """The content a chunk list stands for; ContentError when a piece is missing or corrupt."""
    ids = unpack(packed)
    if not ids:
        return b""
    found: dict[int, bytes] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):  # SQLite's bound-parameter limit
        batch = unique[start:start + 500]
        marks = ",".join("?" * len(batch))
        for cid, data in execute(f"SELECT id, data FROM chunk WHERE id IN ({marks})",
                                 batch).fetchall():
            try:
                found[int(cid)] = zlib.decompress(data)
            except zlib.error as exc:
                raise ContentError(f"chunk {cid} is corrupt ({exc})") from None
    missing = [cid for cid in unique if cid not in found]
    if missing:
        raise ContentError(f"missing chunk(s) {missing[:5]}")
    return b"".join(found[cid] for cid in ids)


def chunk_ids(packed_lists: Iterable[bytes]) -> set[int]:
    out: set[int] = set()
    for packed in packed_lists:
        out.update(unpack(packed))
    return out
