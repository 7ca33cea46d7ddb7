"""The synced catalogue on disk, in `<data folder>/ota/`, and loading it back.

Per collection two files:

    <collection>.zip   the archive exactly as downloaded (and verified) — the declarations
                       with their LICENSE and README, so the licence travels with them
    <collection>.json  its record: source, ETag / Last-Modified, commit, dates, SHA-256,
                       licence attribution, and what was skipped and why

Both are replaced by `os.replace` from a verified temp file, the ZIP first. A crash between
the two leaves a record whose SHA-256 does not match the ZIP: the ZIP is still loaded, and its
stale ETag is never sent, so the next update downloads it again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from watcher_app.ota import DEFAULT_SOURCES
from watcher_app.ota.reader import ArchiveContents, ArchiveError, OtaService, read_archive

log = logging.getLogger(__name__)
DIRNAME = "ota"
RECORD_FORMAT = 1


@dataclass
class CollectionRecord:
    collection: str
    repository: str
    source: str  # the URL or file it came from
    sha256: str  # of the stored ZIP
    bytes: int
    etag: str | None = None
    last_modified: str | None = None
    commit: str | None = None
    archive_date: str | None = None  # ISO, UTC
    fetched_at: str = ""  # when this content was downloaded (ISO, UTC)
    checked_at: str = ""  # the last successful check, a 304 included
    licence: str = "unknown"  # SPDX id
    attribution: str = ""
    services: int = 0
    retired: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"file", "reason"}
    format: int = RECORD_FORMAT

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CollectionRecord:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def ota_dir(data_dir: Path) -> Path:
    return Path(data_dir) / DIRNAME


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def temp_path(folder: Path, suffix: str) -> Path:
    """A fresh file in `folder` (same file system as the target: os.replace is atomic)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # like the data folder: 0700
    fd, name = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=suffix)
    os.close(fd)
    return Path(name)


def records(folder: Path) -> dict[str, CollectionRecord]:
    out = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out[path.stem] = CollectionRecord.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            log.warning("unreadable catalogue record %s: %s", path, exc)
    return out


def write_record(folder: Path, record: CollectionRecord) -> None:
    tmp = temp_path(folder, ".json")
    try:
        tmp.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, folder / f"{record.collection}.json")
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def install(folder: Path, verified_zip: Path, record: CollectionRecord) -> None:
    """Swap a verified archive and its record in (the ZIP first; see the module note)."""
    os.replace(verified_zip, folder / f"{record.collection}.zip")
    write_record(folder, record)
    _CACHE.pop(folder / f"{record.collection}.zip", None)


def collection_of(source: str) -> str | None:
    """The collection a source names by convention: …/<name>-declarations/… or
    <name>-declarations-<branch>.zip."""
    match = re.search(r"([a-z0-9][a-z0-9._-]*?)-declarations(?:[-/]|$)", source.lower())
    return match.group(1) if match else None


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# --- loading ------------------------------------------------------------------------------------

# Reading the four archives takes ~0.3 s; the picker and the CLI read them often. Keyed by
# (path) with (mtime, size) checked, so an update is seen at once.
_CACHE: dict[Path, tuple[tuple[int, int], ArchiveContents]] = {}


def _read_cached(path: Path) -> ArchiveContents | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    hit = _CACHE.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    try:
        contents = read_archive(path, verify=False)  # verified when it was installed
    except ArchiveError as exc:
        log.warning("stored catalogue %s is unusable: %s", path, exc)
        return None
    _CACHE[path] = (key, contents)
    return contents


@dataclass
class OtaCatalog:
    """Every synced collection, most preferred first."""

    collections: list[ArchiveContents] = field(default_factory=list)
    records: dict[str, CollectionRecord] = field(default_factory=dict)

    def services(self, service_id: str) -> list[OtaService]:
        """One service in every collection that declares it (retired ones included)."""
        return [c.services[service_id] for c in self.collections if service_id in c.services]

    def service_ids(self) -> list[str]:
        return list(dict.fromkeys(sid for c in self.collections for sid in c.services))

    def rank(self, collection: str) -> int:
        names = [c.collection for c in self.collections]
        return names.index(collection) if collection in names else len(names)


def load_ota_catalog(data_dir: Path, sources: Sequence[str] = DEFAULT_SOURCES) -> OtaCatalog:
    """The stored collections. Order: newest archive first; on equal dates, the order of
    `sources` (the setting), then by name."""
    folder = ota_dir(data_dir)
    recs = records(folder)
    preferred = [c for c in (collection_of(s) for s in [*sources, *DEFAULT_SOURCES]) if c]
    loaded = []
    for path in sorted(folder.glob("*.zip")) if folder.is_dir() else []:
        contents = _read_cached(path)
        if contents is not None and contents.collection == path.stem:
            loaded.append(contents)

    def order(c: ArchiveContents) -> tuple[float, int, str]:
        date = -c.archive_date.timestamp() if c.archive_date else 0.0
        rank = preferred.index(c.collection) if c.collection in preferred else len(preferred)
        return (date, rank, c.collection)

    loaded.sort(key=order)
    return OtaCatalog(loaded, {k: v for k, v in recs.items()
                               if k in {c.collection for c in loaded}})
